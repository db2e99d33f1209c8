import type { ComputeService } from "../../services/compute/compute-service.js";
import type { InstanceNetworking } from "../../services/network/instance-networking.js";
import { authorize, type Policy } from "./policy.js";
import type { ActionDef, ComputeCall, RouteDef } from "./router.js";
import { MAX_PROXY_VERSION } from "./security-groups.js";

const policy = (name: string, rule: Policy["rule"]): Policy => ({
  name: `os_compute_api:os-floating-ips:${name}`,
  rule,
});

/** The last version of the addFloatingIp and removeFloatingIp actions. */
const MAX_ACTION_VERSION = "2.43";

/** nova's proxy of Neutron's floating IPs: `/os-floating-ips` and `/os-floating-ip-pools`, to 2.35. */
export function floatingIpRoutes(network: InstanceNetworking): RouteDef[] {
  const fips = network.floatingIps;
  const own = (call: ComputeCall, p: Policy) => authorize(call.auth, p, call.auth.projectId);
  const proxy = { max: MAX_PROXY_VERSION };
  return [
    {
      method: "GET",
      path: "/os-floating-ip-pools",
      status: 200,
      ...proxy,
      handler: async (call) => {
        authorize(call.auth, { name: "os_compute_api:os-floating-ip-pools", rule: "any" });
        return { floating_ip_pools: (await fips.pools(call.auth)).map((name) => ({ name })) };
      },
    },
    {
      method: "GET",
      path: "/os-floating-ips",
      status: 200,
      ...proxy,
      handler: async (call) => {
        own(call, policy("list", "project_reader"));
        return { floating_ips: await fips.list(call.auth) };
      },
    },
    {
      method: "POST",
      path: "/os-floating-ips",
      status: 200,
      ...proxy,
      handler: async (call) => {
        own(call, policy("create", "project_member"));
        return { floating_ip: await fips.allocate(call.auth, call.body?.pool) };
      },
    },
    {
      method: "GET",
      path: "/os-floating-ips/{id}",
      status: 200,
      ...proxy,
      handler: async (call) => {
        own(call, policy("show", "project_reader"));
        return { floating_ip: await fips.show(call.auth, call.params.id!) };
      },
    },
    {
      method: "DELETE",
      path: "/os-floating-ips/{id}",
      status: 202,
      ...proxy,
      handler: async (call) => {
        own(call, policy("delete", "project_member"));
        await fips.release(call.auth, call.params.id!);
      },
    },
  ];
}

/**
 * addFloatingIp and removeFloatingIp (to 2.43). nova's removeFloatingIp finds the server
 * through the floating address, not the URL: it checks its policy on that server and
 * answers 409 when the address is not on the server named.
 */
export function floatingIpActions(compute: ComputeService, network: InstanceNetworking): ActionDef[] {
  const fips = network.floatingIps;
  return [
    {
      name: "addFloatingIp",
      status: 202,
      max: MAX_ACTION_VERSION,
      handler: async (call) => {
        const instance = await compute.get(call.auth, call.params.id!);
        authorize(call.auth, policy("add", "project_member"), instance.projectId);
        const fixedIps = instance.addresses.filter((a) => a.type === "fixed").map((a) => a.address);
        await fips.associate(
          call.auth,
          { uuid: instance.uuid, fixedIps },
          call.body.address,
          call.body.fixed_address ?? undefined,
        );
      },
    },
    {
      name: "removeFloatingIp",
      status: 202,
      max: MAX_ACTION_VERSION,
      handler: async (call) => {
        const address: string = call.body.address;
        const holder = await fips.instanceOf(call.auth, address);
        const instance = holder === undefined ? undefined : await compute.get(call.auth, holder);
        authorize(call.auth, policy("remove", "project_member"), instance?.projectId);
        await fips.disassociate(call.auth, call.params.id!, address);
      },
    },
  ];
}
