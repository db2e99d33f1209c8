import {
  ServerGroupNotFound,
  type ServerGroupPolicy,
  type ServerGroupRules,
  type ServerGroupService,
} from "../../services/compute/server-group-service.js";
import { offsetOf, pageOf } from "./pagination.js";
import { authorize, type Policy } from "./policy.js";
import type { ComputeCall, RouteDef } from "./router.js";
import { serverGroupView } from "./views/server-groups.js";

export interface ServerGroupRouteDeps {
  serverGroups: ServerGroupService;
}

const p = (action: string, rule: Policy["rule"]): Policy => ({
  name: `os_compute_api:os-server-groups:${action}`,
  rule,
});

/** Create takes a single `policy` and optional `rules` from this microversion, a `policies` list before. */
const POLICY_FROM = "2.64";

/** The group a create asks for, from either body shape (both validated by nova's schema). */
function createRequest(call: ComputeCall) {
  const body = call.body.server_group as Record<string, unknown>;
  if (!call.version.atLeast(POLICY_FROM)) {
    return { name: body.name as string, policy: (body.policies as ServerGroupPolicy[])[0]!, rules: {} };
  }
  const given = (body.rules ?? {}) as Record<string, number | string>;
  const rules: ServerGroupRules = {};
  // the schema admits digit strings too; nova stores and shows an integer
  if (given.max_server_per_host !== undefined) rules.max_server_per_host = Number(given.max_server_per_host);
  return { name: body.name as string, policy: body.policy as ServerGroupPolicy, rules };
}

/** GET/POST /os-server-groups, GET/DELETE /os-server-groups/{id}. */
export function serverGroupRoutes(deps: ServerGroupRouteDeps): RouteDef[] {
  const { serverGroups } = deps;

  /**
   * nova loads the group first, within the caller's project unless the caller is an admin
   * (404 for another project's), then checks the policy against its project (403).
   */
  const target = async (call: ComputeCall, policy: Policy) => {
    const group = await serverGroups.get(call.params.id!);
    if (!call.auth.isAdmin && group.projectId !== call.auth.projectId) {
      throw new ServerGroupNotFound(group.uuid);
    }
    authorize(call.auth, policy, group.projectId);
    return group;
  };

  return [
    {
      method: "GET",
      path: "/os-server-groups",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("index", "project_reader"));
        // the parameter's presence is what counts; a non-admin asking gets their own groups
        const allProjects = "all_projects" in call.query && call.auth.isAdmin;
        if (allProjects) authorize(call.auth, p("index:all_projects", "admin"));
        const groups = await serverGroups.list({
          projectId: allProjects ? undefined : (call.auth.projectId ?? ""),
          limit: pageOf(call.query).limit,
          offset: offsetOf(call.query),
        });
        return { server_groups: groups.map((g) => serverGroupView(g, call.version)) };
      },
    },
    {
      method: "POST",
      path: "/os-server-groups",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("create", "project_member"));
        const group = await serverGroups.create(call.auth, createRequest(call));
        return { server_group: serverGroupView(group, call.version) };
      },
    },
    {
      method: "GET",
      path: "/os-server-groups/{id}",
      status: 200,
      handler: async (call) => {
        const group = await target(call, p("show", "project_reader"));
        return { server_group: serverGroupView(group, call.version) };
      },
    },
    {
      method: "DELETE",
      path: "/os-server-groups/{id}",
      status: 204,
      handler: async (call) => {
        const group = await target(call, p("delete", "project_member"));
        await serverGroups.delete(group.uuid);
      },
    },
  ];
}
