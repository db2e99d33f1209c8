import type { ComputeService } from "../../services/compute/compute-service.js";
import type { MigrationFilter } from "../../services/compute/migration-records.js";
import { badRequest } from "../faults.js";
import { lastValue, MAX_LIMIT, nextLinks } from "./pagination.js";
import { allows, authorize, type Policy } from "./policy.js";
import type { RouteDef } from "./router.js";
import { osMigrationView } from "./views/migrations.js";

const policy = (action: string, rule: Policy["rule"]): Policy => ({
  name: `os_compute_api:os-migrations:${action}`,
  rule,
});

/** Paging (limit, marker), newest first, changes-since and uuids from 2.59. */
const PAGED_FROM = "2.59";

/**
 * The date-time grammar the query schema has already checked (the `iso8601` package's, as
 * validation.ts's), with the fraction captured: y, m, m, d, d, H, M, S, fraction, zone.
 */
const ISO8601 =
  /^([0-9]{4})(?:(?:-([0-9]{1,2})|([0-9]{2})(?!\n?$))(?:(?:-([0-9]{1,2})|([0-9]{2}))(?:[ T]([0-9]{2})(?::?([0-9]{2}))?(?::?([0-9]{1,2})([.,][0-9]+)?)?(Z|([-+])([0-9]{2}):?([0-9]{2})?)?)?)?)?(?=\n?$)/;

/** A validated date-time as oslo's parse_isotime and normalize_time read it: UTC when no zone is given. */
function utc(text: string): string {
  const m = ISO8601.exec(text)!;
  const n = (i: number, absent: number) => (m[i] === undefined ? absent : Number(m[i]));
  const ms = Math.floor(Number(`0${(m[9] ?? "").replace(",", ".")}`) * 1000);
  const offset = m[11] === undefined ? 0 : (m[11] === "-" ? -1 : 1) * (n(12, 0) * 60 + n(13, 0));
  const time = Date.UTC(n(1, 0), n(2, n(3, 1)) - 1, n(4, n(5, 1)), n(6, 0), n(7, 0), n(8, 0), ms);
  return new Date(time - offset * 60_000).toISOString();
}

/** oslo's bool_from_string: what a `hidden` filter asks for. nimbus never hides a migration. */
const TRUE_WORDS = new Set(["1", "t", "true", "on", "y", "yes"]);

/**
 * GET /os-migrations: every migration of the servers not deleted, filtered by host (source
 * or destination), status, instance_uuid, source_compute, migration_type and hidden; from
 * 2.59 newest first in pages (limit, marker) with changes-since, from 2.66 changes-before,
 * from 2.80 user_id and project_id (who asked). Project managers may list their own
 * project's (project_id given, 2.80); all projects and the host fields are for admins.
 */
export function migrationRoutes(compute: ComputeService): RouteDef[] {
  return [
    {
      method: "GET",
      path: "/os-migrations",
      status: 200,
      handler: async (call) => {
        const query = (name: string) => lastValue(call.query, name);
        authorize(call.auth, policy("index", "project_manager"));
        // before 2.80 the schema keeps project_id out of the query, so this is admin's
        const projectId = query("project_id");
        if (!projectId || projectId !== call.auth.projectId) {
          authorize(call.auth, policy("index:all_projects", "admin"));
        }
        const since = query("changes-since");
        const before = query("changes-before");
        const filter: MigrationFilter = {
          instanceUuid: query("instance_uuid"),
          host: query("host"),
          sourceCompute: query("source_compute"),
          migrationType: query("migration_type"),
          userId: query("user_id"),
          projectId,
          changesSince: since === undefined ? undefined : utc(since),
          changesBefore: before === undefined ? undefined : utc(before),
          order: call.version.atLeast(PAGED_FROM) ? "newest" : "id",
        };
        const status = query("status");
        if (status !== undefined) filter.statuses = [status];
        if (filter.changesSince && filter.changesBefore && filter.changesBefore < filter.changesSince) {
          throw badRequest("The value of changes-since must be less than or equal to changes-before.");
        }
        // limit and marker pass the schema from 2.59 only; limit 0 is an empty page
        const limitText = query("limit");
        if (limitText !== undefined) filter.limit = Math.min(Number(limitText), MAX_LIMIT);
        const hidden = TRUE_WORDS.has((query("hidden") ?? "").trim().toLowerCase());
        const rows = hidden ? [] : await compute.migrations.list(filter, query("marker"));
        const context = { version: call.version, links: call.links, hosts: allows(call.auth, "admin") };
        const body: Record<string, unknown> = { migrations: rows.map((m) => osMigrationView(m, context)) };
        if (call.version.atLeast(PAGED_FROM)) {
          const page = { limit: filter.limit ?? MAX_LIMIT };
          const next = nextLinks(call, "os-migrations", page, rows, (m) => m.uuid);
          if (next) body.migrations_links = next;
        }
        return body;
      },
    },
  ];
}
