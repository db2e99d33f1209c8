import { isoMicros } from "../../clock.js";
import { type HostService, INTERNAL_AZ, type Zone } from "../../services/compute/host-service.js";
import { authorize, type Policy } from "./policy.js";
import type { RouteDef } from "./router.js";

const p = (action: string, rule: Policy["rule"]): Policy => ({
  name: `os_compute_api:os-availability-zone:${action}`,
  rule,
});

export interface AvailabilityZoneRouteDeps {
  hosts: HostService;
}

/** An available zone's hosts: each host's services, whether they are up, and their last report. */
function zoneHosts(zone: Zone) {
  const hosts: Record<string, Record<string, unknown>> = {};
  for (const service of zone.services) {
    hosts[service.host] ??= {};
    hosts[service.host]![service.binary] = {
      available: service.up,
      // the zone lists enabled services only
      active: true,
      updated_at: service.updatedAt ? isoMicros(service.updatedAt) : null,
    };
  }
  return hosts;
}

/**
 * GET /os-availability-zone (any user: the zones servers can be placed in, the internal
 * zone hidden) and GET /os-availability-zone/detail (admin: every zone with its hosts).
 * A zone is available while one of its services is enabled.
 */
export function availabilityZoneRoutes(deps: AvailabilityZoneRouteDeps): RouteDef[] {
  const { hosts } = deps;
  return [
    {
      method: "GET",
      path: "/os-availability-zone",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("list", "any"));
        const zones = (await hosts.zones()).filter((z) => z.name !== INTERNAL_AZ);
        return {
          availabilityZoneInfo: zones.map((z) => ({
            zoneName: z.name,
            zoneState: { available: z.available },
            hosts: null,
          })),
        };
      },
    },
    {
      method: "GET",
      path: "/os-availability-zone/detail",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("detail", "admin"));
        return {
          availabilityZoneInfo: (await hosts.zones()).map((z) => ({
            zoneName: z.name,
            zoneState: { available: z.available },
            hosts: z.available ? zoneHosts(z) : null,
          })),
        };
      },
    },
  ];
}
