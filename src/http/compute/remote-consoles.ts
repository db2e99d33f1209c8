import type { ComputeService } from "../../services/compute/compute-service.js";
import type { ConsoleService } from "../../services/compute/console-service.js";
import type { ConsoleProtocol } from "../../virt/driver.js";
import { HttpFault } from "../faults.js";
import { authorize, type Policy } from "./policy.js";
import type { ActionDef, ComputeCall, RouteDef } from "./router.js";

const REMOTE_CONSOLES: Policy = { name: "os_compute_api:os-remote-consoles", rule: "project_member" };
const AUTH_TOKENS: Policy = { name: "os_compute_api:os-console-auth-tokens", rule: "admin" };

/** webob's HTTPBadRequest without an explanation, which nova raises for rdp. */
const PLAIN_BAD_REQUEST =
  "The server could not comply with the request since it is either malformed or otherwise incorrect.";

async function consoleUrl(
  compute: ComputeService,
  consoles: ConsoleService,
  call: ComputeCall,
  serverId: string,
  protocol: ConsoleProtocol,
  consoleType: string,
): Promise<string> {
  const instance = await compute.get(call.auth, serverId);
  authorize(call.auth, REMOTE_CONSOLES, instance.projectId);
  return consoles.create(instance, protocol, consoleType);
}

/**
 * `POST /servers/{id}/remote-consoles` (2.6; mks from 2.8, as nova's schemas allow) and
 * `GET /os-console-auth-tokens/{id}` (admin; 400 before 2.31, when it served rdp only).
 */
export function remoteConsoleRoutes(compute: ComputeService, consoles: ConsoleService): RouteDef[] {
  return [
    {
      method: "POST",
      path: "/servers/{server_id}/remote-consoles",
      min: "2.6",
      status: 200,
      handler: async (call) => {
        const { protocol, type } = call.body.remote_console;
        // rdp went with the Hyper-V driver: nova refuses it before asking the host
        if (protocol === "rdp") {
          const instance = await compute.get(call.auth, call.params.server_id!);
          authorize(call.auth, REMOTE_CONSOLES, instance.projectId);
          throw new HttpFault(400, `Unavailable console type ${protocol}.`);
        }
        const url = await consoleUrl(compute, consoles, call, call.params.server_id!, protocol, type);
        return { remote_console: { protocol, type, url } };
      },
    },
    {
      method: "GET",
      path: "/os-console-auth-tokens/{id}",
      status: 200,
      handler: async (call) => {
        if (!call.version.atLeast("2.31")) throw new HttpFault(400, PLAIN_BAD_REQUEST);
        authorize(call.auth, AUTH_TOKENS, call.auth.projectId);
        const info = await consoles.validate(call.params.id!);
        return {
          console: {
            instance_uuid: info.instanceUuid,
            host: info.host,
            port: info.port,
            internal_access_path: info.internalAccessPath,
            // 2.99 names the TLS port too; nimbus's consoles have none
            ...(call.version.atLeast("2.99") ? { tls_port: null } : {}),
          },
        };
      },
    },
  ];
}

/** The legacy console actions nova serves to 2.5; os-getRDPConsole only answers 400 now. */
export function remoteConsoleActions(compute: ComputeService, consoles: ConsoleService): ActionDef[] {
  const legacy = (name: string, protocol: ConsoleProtocol): ActionDef => ({
    name,
    max: "2.5",
    status: 200,
    handler: async (call) => {
      const type: string = call.body.type;
      const url = await consoleUrl(compute, consoles, call, call.params.id!, protocol, type);
      return { console: { type, url } };
    },
  });
  return [
    legacy("os-getVNCConsole", "vnc"),
    legacy("os-getSPICEConsole", "spice"),
    legacy("os-getSerialConsole", "serial"),
    {
      name: "os-getRDPConsole",
      max: "2.5",
      status: 200,
      handler: async () => {
        throw new HttpFault(400, PLAIN_BAD_REQUEST);
      },
    },
  ];
}
