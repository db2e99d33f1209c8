import type { ComputeService } from "../../services/compute/compute-service.js";
import { InstanceNotFound } from "../../services/errors.js";
import type { Instance } from "../../store/instance-record.js";
import { forbidden } from "../faults.js";
import type { RouteDef } from "./router.js";

/** One event as the schema admits it (names by microversion: 2.51, 2.76, 2.82, 2.93). */
interface ExternalEvent {
  name: string;
  server_uuid: string;
  status?: string;
  tag?: string;
}

/** Events that say nothing without their tag (a volume id, POWER_ON/POWER_OFF, an ARQ uuid). */
const TAG_REQUIRED = new Set(["volume-extended", "power-update", "accelerator-request-bound"]);

/**
 * nova's `service_or_admin` rule: the `service` role that Neutron's, Cinder's and Ironic's
 * service users hold, or admin.
 */
function authorizeService(roles: string[], isAdmin: boolean): void {
  if (!isAdmin && !roles.includes("service")) {
    throw forbidden("Policy doesn't allow os_compute_api:os-server-external-events:create to be performed.");
  }
}

/**
 * POST /os-server-external-events: other services tell nova about its servers. Each event
 * comes back with its own code: 200 (accepted, status completed), 404 (no such server),
 * 400 (its tag is required and missing), 422 (the server is on no host, so nothing could
 * take it). The answer is 200 when every event was accepted, else 207 (since nova 21 an
 * answer is never 404, even when every server is unknown).
 */
export function serverExternalEventRoutes(compute: ComputeService): RouteDef[] {
  return [
    {
      method: "POST",
      path: "/os-server-external-events",
      status: 200,
      handler: async (call) => {
        authorizeService(call.auth.roles, call.auth.isAdmin);
        const events = call.body.events as ExternalEvent[];
        const servers = new Map<string, Instance>();
        for (const uuid of new Set(events.map((e) => e.server_uuid))) {
          const instance = await compute.get(call.auth, uuid).catch((error: unknown) => {
            if (error instanceof InstanceNotFound) return undefined;
            throw error;
          });
          if (instance) servers.set(uuid, instance);
        }
        let status = 200;
        const accepted: Array<{ instance: Instance; event: ExternalEvent }> = [];
        const answered = events.map((event) => {
          const instance = servers.get(event.server_uuid);
          const code = !instance
            ? 404
            : TAG_REQUIRED.has(event.name) && event.tag === undefined
              ? 400
              : instance.host
                ? 200
                : 422;
          if (code === 200) accepted.push({ instance: instance!, event });
          else status = 207;
          return { ...event, status: code === 200 ? "completed" : "failed", code };
        });
        // nova casts the accepted events to the servers' hosts after answering them
        for (const { instance, event } of accepted) {
          await compute.events.externalEvent(call.auth, instance.uuid, event.name, event.tag);
        }
        call.setStatus(status);
        return { events: answered };
      },
    },
  ];
}
