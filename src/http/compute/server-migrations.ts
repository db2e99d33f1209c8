import type { ComputeService } from "../../services/compute/compute-service.js";
import {
  LIVE_MIGRATION_IN_PROGRESS,
  MigrationNotFoundForInstance,
  MigrationType,
} from "../../services/compute/migration-records.js";
import { InstanceInvalidState } from "../../services/errors.js";
import type { Instance } from "../../store/instance-record.js";
import { badRequest, notFound } from "../faults.js";
import { allows, authorize, type Policy } from "./policy.js";
import type { ActionRouteDef, ComputeCall, RouteDef } from "./router.js";
import { serverMigrationView } from "./views/migrations.js";

const policy = (action: string, rule: Policy["rule"]): Policy => ({
  name: `os_compute_api:servers:migrations:${action}`,
  rule,
});

/** From 2.65 a live migration still queued or preparing can be aborted too. */
const ABORT_QUEUED_FROM = "2.65";

/** nova's raise_http_conflict_for_instance_invalid_state, for these endpoints' own action names. */
function stateConflict(error: InstanceInvalidState, action: string, serverId: string) {
  return new InstanceInvalidState(serverId, action, error.attribute, error.value);
}

/**
 * A server's live migrations in progress (2.23), with their copy's progress, and the
 * operations on one: force it to complete (2.22) and abort it (2.24; 2.65 also while
 * queued or preparing), with nova's refusals for a migration unknown or in another state.
 */
export function serverMigrationRoutes(compute: ComputeService): Array<RouteDef | ActionRouteDef> {
  const path = "/servers/{server_id}/migrations";

  /** The server named in the path (404 if it is not the caller's to see), checked against `p`. */
  const server = async (call: ComputeCall, p: Policy): Promise<Instance> => {
    const instance = await compute.get(call.auth, call.params.server_id!);
    authorize(call.auth, p, instance.projectId);
    return instance;
  };

  return [
    {
      method: "GET",
      path,
      min: "2.23",
      status: 200,
      handler: async (call) => {
        const instance = await server(call, policy("index", "project_manager"));
        const hosts = allows(call.auth, "admin", instance.projectId);
        const found = await compute.migrations.liveMigrationsInProgress(instance.uuid);
        const context = { version: call.version, links: call.links, hosts };
        return { migrations: found.map((m) => serverMigrationView(m, context)) };
      },
    },
    {
      method: "GET",
      path: `${path}/{id}`,
      min: "2.23",
      status: 200,
      handler: async (call) => {
        const instance = await server(call, policy("show", "admin"));
        const id = call.params.id!;
        const migration = await compute.migrations.ofInstance(instance.uuid, id);
        if (!migration) {
          throw notFound(`In-progress live migration ${id} is not found for server ${instance.uuid}.`);
        }
        if (migration.migration_type !== MigrationType.LIVE_MIGRATION) {
          throw notFound(`Migration ${id} for server ${instance.uuid} is not live-migration.`);
        }
        if (!LIVE_MIGRATION_IN_PROGRESS.includes(migration.status)) {
          throw notFound(`Live migration ${id} for server ${instance.uuid} is not in progress.`);
        }
        const context = { version: call.version, links: call.links, hosts: true };
        return { migration: serverMigrationView(migration, context) };
      },
    },
    {
      method: "DELETE",
      path: `${path}/{id}`,
      min: "2.24",
      status: 202,
      handler: async (call) => {
        const instance = await server(call, policy("delete", "project_manager"));
        const allowQueued = call.version.atLeast(ABORT_QUEUED_FROM);
        try {
          await compute.migrations.abort(call.auth, instance, call.params.id!, allowQueued);
        } catch (error) {
          if (error instanceof InstanceInvalidState)
            throw stateConflict(error, "abort live migration", call.params.server_id!);
          throw error;
        }
      },
    },
    {
      method: "POST",
      path: `${path}/{id}/action`,
      actions: [
        {
          name: "force_complete",
          min: "2.22",
          status: 202,
          handler: async (call) => {
            const instance = await server(call, policy("force_complete", "project_manager"));
            try {
              await compute.migrations.forceComplete(call.auth, instance, call.params.id!);
            } catch (error) {
              if (error instanceof InstanceInvalidState)
                throw stateConflict(error, "force_complete", call.params.server_id!);
              // nova answers an unknown migration with 400 here (404 for an abort)
              if (error instanceof MigrationNotFoundForInstance) throw badRequest(error.message);
              throw error;
            }
          },
        },
      ],
    },
  ];
}
