import { type Expression, type ExpressionBuilder, type SqlBool, sql, type Transaction } from "kysely";
import type { Db } from "./database.js";
import type { Database, ServiceRow } from "./schema.js";

/** The aggregate metadata key that gives an aggregate's hosts their availability zone. */
const AZ_KEY = "availability_zone";
const COMPUTE = "nova-compute";

/** What a request asks of a host before the scheduler's own filters. */
export interface CandidateQuery {
  /** Amounts by resource class; classes of 0 are not asked for. */
  resources: Readonly<Partial<Record<string, number>>>;
  /** Only hosts of this zone (nova's map_az_to_placement_aggregate prefilter). */
  zone: string | null;
  /** The zone of hosts in no zone-naming aggregate. */
  defaultZone: string;
  /** Only this host (2.74 `host`, a move's named destination). */
  host: string | null;
  /** Never this host (a move's source). */
  exclude: string | null;
  /** Only these hosts (nova's SameHostFilter: those of the servers named); none when null. */
  within?: readonly string[] | null;
  /** Never these hosts (nova's DifferentHostFilter). */
  without?: readonly string[];
}

/** A candidate's place in the order: what a page after it starts from. */
export interface CandidateCursor {
  freeMemoryMb: number;
  name: string;
}

/** A provider with room, with what the scheduler's own filters and the placement need of it. */
export interface Candidate extends CandidateCursor {
  /** Its compute service's last report (its creation before any): up while recent. */
  reportedAt: string;
  /** Its availability zone; null for the default one (no aggregate names one). */
  zone: string | null;
}

type Rp = ExpressionBuilder<Database, "resource_providers">;

/**
 * The scheduler's reads: placement's allocation candidates, bounded. A request is answered
 * from the index of providers by free RAM (most first, names breaking ties), a page at a
 * time, each row tested on its own inventories, its compute service and its aggregates by
 * key, so the cost of a page grows with the rows it passes over, not with the hosts there are.
 */
export class SchedulerRepository {
  constructor(private readonly db: Db) {}

  /**
   * Up to `limit` providers that have room for the request, whose nova-compute service is
   * enabled and not forced down (nova's compute_status_disabled prefilter), in the zone and
   * on the host asked for: most free RAM first, then by name, after `after`.
   */
  async candidates(
    query: CandidateQuery,
    page: { limit: number; after?: CandidateCursor },
    executor: Db | Transaction<Database> = this.db,
  ): Promise<Candidate[]> {
    const memory = query.resources.MEMORY_MB ?? 0;
    let select = executor
      .selectFrom("resource_providers")
      .select(["resource_providers.name", "resource_providers.free_memory_mb"])
      // read with the row, so that the filters and the placement ask nothing more
      .select((eb) => [
        this.#enabledCompute(eb)
          .clearSelect()
          .select(sql<string>`max(coalesce(services.last_seen_up, services.created_at))`.as("reported_at"))
          .as("reported_at"),
        eb
          .selectFrom("aggregate_hosts")
          .innerJoin("aggregate_metadata", "aggregate_metadata.aggregate_id", "aggregate_hosts.aggregate_id")
          .select((a) => a.fn.min("aggregate_metadata.value").as("zone"))
          .whereRef("aggregate_hosts.host", "=", "resource_providers.name")
          .where("aggregate_metadata.key", "=", AZ_KEY)
          .as("zone"),
      ])
      .where((eb) => this.#fits(eb, query.resources))
      .where((eb) => eb.exists(this.#enabledCompute(eb).where("services.forced_down", "=", 0)))
      .where(this.#zoneOf("resource_providers.name", query))
      .orderBy("resource_providers.free_memory_mb", "desc")
      .orderBy("resource_providers.name", "asc")
      .limit(page.limit);
    // the index's range: a request for RAM starts nowhere below it
    if (memory > 0) select = select.where("resource_providers.free_memory_mb", ">=", memory);
    if (query.host !== null) select = select.where("resource_providers.name", "=", query.host);
    if (query.exclude !== null) select = select.where("resource_providers.name", "<>", query.exclude);
    if (query.within) {
      if (query.within.length === 0) return [];
      select = select.where("resource_providers.name", "in", query.within);
    }
    if (query.without && query.without.length > 0)
      select = select.where("resource_providers.name", "not in", query.without);
    const after = page.after;
    if (after) {
      select = select.where((eb) =>
        eb.or([
          eb("resource_providers.free_memory_mb", "<", after.freeMemoryMb),
          eb.and([
            eb("resource_providers.free_memory_mb", "=", after.freeMemoryMb),
            eb("resource_providers.name", ">", after.name),
          ]),
        ]),
      );
    }
    const rows = await select.execute();
    return rows.map((r) => ({
      name: r.name,
      freeMemoryMb: r.free_memory_mb,
      reportedAt: r.reported_at!,
      zone: r.zone ?? null,
    }));
  }

  /**
   * Up to `limit` enabled nova-compute services (of any liveness) in the zone and on the
   * host asked for, in id order after `afterId`: whether the cloud has any host for the
   * request at all, which decides nova's NoValidHost reason.
   */
  async enabledComputes(
    query: Pick<CandidateQuery, "zone" | "defaultZone" | "host" | "exclude">,
    page: { limit: number; afterId?: number },
  ): Promise<ServiceRow[]> {
    let select = this.db
      .selectFrom("services")
      .selectAll()
      .where("binary", "=", COMPUTE)
      .where("disabled", "=", 0)
      .where("deleted_at", "is", null)
      .where(this.#zoneOf("services.host", query))
      .orderBy("id", "asc")
      .limit(page.limit);
    if (query.host !== null) select = select.where("host", "=", query.host);
    if (query.exclude !== null) select = select.where("host", "<>", query.exclude);
    if (page.afterId !== undefined) select = select.where("id", ">", page.afterId);
    return select.execute();
  }

  /** The hosts of the live servers among `uuids` (a scheduler hint's servers). */
  async hostsOf(uuids: readonly string[], executor: Db | Transaction<Database> = this.db): Promise<string[]> {
    if (uuids.length === 0) return [];
    const rows = await executor
      .selectFrom("instances")
      .select("host")
      .distinct()
      .where("uuid", "in", uuids)
      .where("deleted", "=", 0)
      .where("host", "is not", null)
      .execute();
    return rows.map((r) => r.host!);
  }

  /**
   * Every requested class has an inventory here with the units and the room for it. Each
   * is a scalar subquery, read by key for the row at hand: PostgreSQL would turn EXISTS into
   * joins, misjudge how many rows pass them, and sort every provider instead of walking the index.
   */
  #fits(eb: Rp, resources: CandidateQuery["resources"]) {
    const asked = Object.entries(resources).filter((e): e is [string, number] => (e[1] ?? 0) > 0);
    return eb.and(
      asked.map(([resourceClass, amount]) => {
        const room = eb
          .selectFrom("inventories")
          .select(sql<number>`inventories.capacity - inventories.used`.as("room"))
          .whereRef("inventories.resource_provider_id", "=", "resource_providers.id")
          .where("inventories.resource_class", "=", resourceClass)
          .where("inventories.min_unit", "<=", amount)
          .where("inventories.max_unit", ">=", amount)
          .where(sql<SqlBool>`${amount} % inventories.step_size = 0`);
        return eb(room, ">=", amount);
      }),
    );
  }

  #enabledCompute(eb: Rp) {
    return eb
      .selectFrom("services")
      .select(sql.lit(1).as("one"))
      .whereRef("services.host", "=", "resource_providers.name")
      .where("services.binary", "=", COMPUTE)
      .where("services.deleted_at", "is", null)
      .where("services.disabled", "=", 0);
  }

  /**
   * The host in column `host` is in the zone: no zone-naming aggregate of it names another,
   * and one names this zone, or none does and it is the default zone (nova's
   * set_availability_zones).
   */
  #zoneOf(host: string, query: Pick<CandidateQuery, "zone" | "defaultZone">): Expression<SqlBool> {
    const zone = query.zone;
    if (zone === null) return sql<SqlBool>`1 = 1`;
    const named = (test: Expression<SqlBool>) =>
      this.db
        .selectFrom("aggregate_hosts")
        .innerJoin("aggregate_metadata", "aggregate_metadata.aggregate_id", "aggregate_hosts.aggregate_id")
        .select(sql.lit(1).as("one"))
        .where(sql<SqlBool>`aggregate_hosts.host = ${sql.ref(host)}`)
        .where("aggregate_metadata.key", "=", AZ_KEY)
        .where(test);
    const other = sql<SqlBool>`not exists ${named(sql<SqlBool>`aggregate_metadata.value <> ${zone}`)}`;
    if (zone === query.defaultZone) return other;
    return sql<SqlBool>`(${other} and exists ${named(sql<SqlBool>`aggregate_metadata.value = ${zone}`)})`;
  }
}
