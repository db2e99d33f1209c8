import type { ComputeService } from "../../services/compute/compute-service.js";
import { authorize, type Policy } from "./policy.js";
import type { ComputeCall, RouteDef } from "./router.js";

const policy = (action: "show" | "clear", rule: Policy["rule"]): Policy => ({
  name: `os_compute_api:os-server-password:${action}`,
  rule,
});

/**
 * `/servers/{id}/os-server-password`: the encrypted administrator password a guest leaves
 * for its owner (a Windows guest encrypts it with the server's key pair). Reading it gives
 * "" when there is none; clearing it forgets it and does not change the guest's password.
 */
export function serverPasswordRoutes(compute: ComputeService): RouteDef[] {
  const path = "/servers/{server_id}/os-server-password";
  const owned = async (call: ComputeCall, p: Policy) => {
    const instance = await compute.get(call.auth, call.params.server_id!);
    authorize(call.auth, p, instance.projectId);
    return instance.uuid;
  };
  return [
    {
      method: "GET",
      path,
      status: 200,
      handler: async (call) => {
        const uuid = await owned(call, policy("show", "project_reader"));
        return { password: await compute.access.serverPassword(call.auth, uuid) };
      },
    },
    {
      method: "DELETE",
      path,
      status: 204,
      handler: async (call) => {
        const uuid = await owned(call, policy("clear", "project_member"));
        await compute.access.clearServerPassword(call.auth, uuid);
      },
    },
  ];
}
