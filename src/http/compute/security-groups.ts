import type { ComputeService } from "../../services/compute/compute-service.js";
import type { InstanceNetworking } from "../../services/network/instance-networking.js";
import { badRequest } from "../faults.js";
import { limited } from "./pagination.js";
import { authorize, type Policy } from "./policy.js";
import type { ActionDef, ComputeCall, RouteDef } from "./router.js";

/** nova's MAX_PROXY_API_SUPPORT_VERSION: its network proxies answer 404 after it. */
export const MAX_PROXY_VERSION = "2.35";

const policy = (name: string, rule: Policy["rule"]): Policy => ({
  name: `os_compute_api:os-security-groups:${name}`,
  rule,
});

/**
 * nova's proxy of Neutron's security groups: `/os-security-groups` and
 * `/os-security-group-rules` to 2.35, and a server's groups at any version. nova checks
 * these policies against the caller's own project.
 */
export function securityGroupRoutes(compute: ComputeService, network: InstanceNetworking): RouteDef[] {
  const groups = network.securityGroups;
  const own = (call: ComputeCall, p: Policy) => authorize(call.auth, p, call.auth.projectId);
  const proxy = { max: MAX_PROXY_VERSION };
  return [
    {
      method: "GET",
      path: "/os-security-groups",
      status: 200,
      ...proxy,
      handler: async (call) => {
        own(call, policy("get", "project_reader"));
        const all = await groups.list(call.auth, "all_tenants" in call.query);
        return { security_groups: limited(all, call.query) };
      },
    },
    {
      method: "POST",
      path: "/os-security-groups",
      status: 200,
      ...proxy,
      handler: async (call) => {
        own(call, policy("create", "project_member"));
        const { name, description } = call.body.security_group;
        return { security_group: await groups.create(call.auth, name, description) };
      },
    },
    {
      method: "GET",
      path: "/os-security-groups/{id}",
      status: 200,
      ...proxy,
      handler: async (call) => {
        own(call, policy("show", "project_reader"));
        return { security_group: await groups.show(call.auth, call.params.id!) };
      },
    },
    {
      method: "PUT",
      path: "/os-security-groups/{id}",
      status: 200,
      ...proxy,
      handler: async (call) => {
        own(call, policy("update", "project_member"));
        const { name, description } = call.body.security_group;
        return { security_group: await groups.update(call.auth, call.params.id!, name, description) };
      },
    },
    {
      method: "DELETE",
      path: "/os-security-groups/{id}",
      status: 202,
      ...proxy,
      handler: async (call) => {
        own(call, policy("delete", "project_member"));
        await groups.delete(call.auth, call.params.id!);
      },
    },
    {
      method: "POST",
      path: "/os-security-group-rules",
      status: 200,
      ...proxy,
      handler: async (call) => {
        own(call, policy("rule:create", "project_member"));
        return { security_group_rule: await groups.createRule(call.auth, call.body.security_group_rule) };
      },
    },
    {
      method: "DELETE",
      path: "/os-security-group-rules/{id}",
      status: 202,
      ...proxy,
      handler: async (call) => {
        own(call, policy("rule:delete", "project_member"));
        await groups.deleteRule(call.auth, call.params.id!);
      },
    },
    {
      method: "GET",
      path: "/servers/{server_id}/os-security-groups",
      status: 200,
      handler: async (call) => {
        const instance = await compute.get(call.auth, call.params.server_id!);
        authorize(call.auth, policy("list", "project_reader"), instance.projectId);
        return { security_groups: await groups.ofInstance(call.auth, instance.uuid) };
      },
    },
  ];
}

/** nova's _parse of addSecurityGroup / removeSecurityGroup bodies, after its schema. */
function groupName(body: { name?: unknown } | null | undefined): string {
  if (body === null || typeof body !== "object") throw badRequest("Missing parameter dict");
  if (!("name" in body)) throw badRequest("Security group not specified");
  const name = body.name;
  if (typeof name !== "string" || name.trim() === "") throw badRequest("Security group name cannot be empty");
  return name;
}

/** The addSecurityGroup and removeSecurityGroup server actions: a group on or off every port of the server. */
export function securityGroupActions(compute: ComputeService, network: InstanceNetworking): ActionDef[] {
  const groups = network.securityGroups;
  const onServer =
    (p: Policy, run: (call: ComputeCall, uuid: string, name: string) => Promise<void>) =>
    async (call: ComputeCall) => {
      const instance = await compute.get(call.auth, call.params.id!);
      authorize(call.auth, p, instance.projectId);
      await run(call, instance.uuid, groupName(call.body));
    };
  return [
    {
      name: "addSecurityGroup",
      status: 202,
      handler: onServer(policy("add", "project_member"), (call, uuid, name) =>
        groups.addToInstance(call.auth, uuid, name),
      ),
    },
    {
      name: "removeSecurityGroup",
      status: 202,
      handler: onServer(policy("remove", "project_member"), (call, uuid, name) =>
        groups.removeFromInstance(call.auth, uuid, name),
      ),
    },
  ];
}
