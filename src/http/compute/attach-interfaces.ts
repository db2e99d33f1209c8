import type { ComputeService } from "../../services/compute/compute-service.js";
import type { Interface } from "../../services/network/instance-networking.js";
import { badRequest } from "../faults.js";
import type { ApiVersion } from "./microversion.js";
import { authorize, type Policy } from "./policy.js";
import type { ComputeCall, RouteDef } from "./router.js";

const policy = (name: string, rule: Policy["rule"]): Policy => ({
  name: `os_compute_api:os-attach-interfaces:${name}`,
  rule,
});

/** nova's interfaceAttachment view; the tag from 2.70. */
function interfaceView({ port, tag }: Interface, version: ApiVersion) {
  return {
    fixed_ips: port.fixed_ips.map((ip) => ({ subnet_id: ip.subnet_id, ip_address: ip.ip_address })),
    mac_addr: port.mac_address,
    net_id: port.network_id,
    port_id: port.id,
    port_state: port.status,
    ...(version.atLeast("2.70") && { tag }),
  };
}

async function authorized(compute: ComputeService, call: ComputeCall, p: Policy): Promise<string> {
  const uuid = call.params.server_id!;
  const instance = await compute.get(call.auth, uuid);
  authorize(call.auth, p, instance.projectId);
  return uuid;
}

/** `/servers/{id}/os-interface`: a server's ports, attached and detached as nova does. */
export function attachInterfaceRoutes(compute: ComputeService): RouteDef[] {
  const path = "/servers/{server_id}/os-interface";
  return [
    {
      method: "GET",
      path,
      status: 200,
      handler: async (call) => {
        const uuid = await authorized(compute, call, policy("list", "project_reader"));
        const list = await compute.interfaces.list(call.auth, uuid);
        return { interfaceAttachments: list.map((i) => interfaceView(i, call.version)) };
      },
    },
    {
      method: "GET",
      path: `${path}/{id}`,
      status: 200,
      handler: async (call) => {
        const uuid = await authorized(compute, call, policy("show", "project_reader"));
        const one = await compute.interfaces.get(call.auth, uuid, call.params.id!);
        return { interfaceAttachment: interfaceView(one, call.version) };
      },
    },
    {
      method: "POST",
      path,
      status: 200,
      handler: async (call) => {
        const uuid = await authorized(compute, call, policy("create", "project_member"));
        const body = (call.body?.interfaceAttachment ?? {}) as {
          net_id?: string;
          port_id?: string;
          fixed_ips?: Array<{ ip_address?: string }>;
          tag?: string;
        };
        const fixedIp = body.fixed_ips?.[0]?.ip_address;
        if (body.net_id && body.port_id) throw badRequest("Must not input both network_id and port_id");
        if (fixedIp && !body.net_id) throw badRequest("Must input network_id when request IP address");
        const attached = await compute.interfaces.attach(call.auth, uuid, {
          ...(body.net_id && { netId: body.net_id }),
          ...(body.port_id && { portId: body.port_id }),
          ...(fixedIp && { fixedIp }),
          ...(body.tag !== undefined && { tag: body.tag }),
        });
        return { interfaceAttachment: interfaceView(attached, call.version) };
      },
    },
    {
      method: "DELETE",
      path: `${path}/{id}`,
      status: 202,
      handler: async (call) => {
        const uuid = await authorized(compute, call, policy("delete", "project_member"));
        await compute.interfaces.detach(call.auth, uuid, call.params.id!);
        return undefined;
      },
    },
  ];
}
