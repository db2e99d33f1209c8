import type { AggregateService } from "../../services/compute/aggregate-service.js";
import { Binary, type HostService, INTERNAL_AZ } from "../../services/compute/host-service.js";
import type { HypervisorService } from "../../services/compute/hypervisor-service.js";
import { HttpFault, notFound } from "../faults.js";
import { lastValue } from "./pagination.js";
import { authorize, type Policy } from "./policy.js";
import type { ComputeCall, RouteDef } from "./router.js";
import { hostResourcesView } from "./views/hosts.js";

export interface HostRouteDeps {
  hosts: HostService;
  hypervisors: HypervisorService;
  aggregates: AggregateService;
}

const p = (action: string): Policy => ({ name: `os_compute_api:os-hosts:${action}`, rule: "admin" });

/** os-hosts is gone from 2.43 (use os-hypervisors and os-services): 404 there. */
const LAST_VERSION = "2.42";

/**
 * What nova's host operations answer when the compute driver cannot do them: libvirt (like
 * nimbus's drivers) neither powers its host off or on nor evacuates it for maintenance.
 */
const notSupported = () => new HttpFault(501, "The requested functionality is not supported.");

/**
 * The compute host named in the path, or nova's 404: only compute hosts are mapped to a
 * cell, so the others (and unknown names) fail that lookup.
 */
async function computeHost(call: ComputeCall, hosts: HostService): Promise<string> {
  const host = call.params.id!;
  if (!(await hosts.computeOn(host))) throw notFound(`Host '${host}' is not mapped to any cell`);
  return host;
}

/** `enable` / `disable` in any case (nova strips and lowers; the schema admits three spellings). */
const enabling = (value: string) => value.trim().toLowerCase() === "enable";

/**
 * The deprecated os-hosts API (2.1-2.42, admin): the hosts of the enabled services with
 * their zones, a compute host's resources, and the host operations nova forwards to the
 * compute driver.
 */
export function hostRoutes(deps: HostRouteDeps): RouteDef[] {
  const { hosts, hypervisors, aggregates } = deps;

  const powerAction = (segment: string, policy: string): RouteDef => ({
    method: "GET",
    path: `/os-hosts/{id}/${segment}`,
    max: LAST_VERSION,
    status: 200,
    handler: async (call) => {
      authorize(call.auth, p(policy));
      await computeHost(call, hosts);
      throw notSupported();
    },
  });

  return [
    {
      method: "GET",
      path: "/os-hosts",
      max: LAST_VERSION,
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("list"));
        // nova lists the enabled services only
        const services = (await hosts.list()).filter((s) => !s.disabled);
        const computes = services.filter((s) => s.binary === Binary.COMPUTE).map((s) => s.host);
        const zones = await aggregates.availabilityZones(computes);
        const zone = lastValue(call.query, "zone");
        const listed = services.map((s) => ({
          host_name: s.host,
          // the service's RPC topic: its binary without the "nova-" prefix
          service: s.binary.replace(/^nova-/, ""),
          zone: s.binary === Binary.COMPUTE ? zones.get(s.host)! : INTERNAL_AZ,
        }));
        return { hosts: zone ? listed.filter((h) => h.zone === zone) : listed };
      },
    },
    {
      method: "GET",
      path: "/os-hosts/{id}",
      max: LAST_VERSION,
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("show"));
        const host = await computeHost(call, hosts);
        // nova's get_first_node_by_host_for_old_compat: the host's first hypervisor
        const node = (await hypervisors.list()).find((h) => h.host === host);
        if (!node) throw notFound(`Compute host ${host} could not be found.`);
        return hostResourcesView(host, node, await aggregates.serversOn([host]));
      },
    },
    {
      method: "PUT",
      path: "/os-hosts/{id}",
      max: LAST_VERSION,
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("update"));
        const body = call.body as { status?: string; maintenance_mode?: string };
        const host = await computeHost(call, hosts);
        const result: Record<string, string> = { host };
        if (body.status !== undefined) {
          // nova's compute manager only flips the host's COMPUTE_STATUS_DISABLED placement
          // trait here, which its next resource update puts back in line with the service's
          // disabled flag; the service itself (os-services) is untouched. nimbus has no
          // placement traits, so the answer is all there is.
          result.status = enabling(body.status) ? "enabled" : "disabled";
        }
        if (body.maintenance_mode !== undefined) throw notSupported();
        return result;
      },
    },
    powerAction("reboot", "reboot"),
    powerAction("shutdown", "shutdown"),
    powerAction("startup", "start"),
  ];
}
