import type { ComputeService } from "../../services/compute/compute-service.js";
import { authorize, type Policy } from "./policy.js";
import type { RouteDef } from "./router.js";
import { diagnosticsView } from "./views/server-diagnostics.js";

const DIAGNOSTICS: Policy = { name: "os_compute_api:os-server-diagnostics", rule: "admin" };
const TOPOLOGY: Policy = { name: "compute:server:topology:index", rule: "project_reader" };

/**
 * What a server's host can tell about its guest: GET /servers/{id}/diagnostics (admin;
 * nova's standard format from 2.48) and GET /servers/{id}/topology (2.78), its NUMA
 * layout, which nimbus's guests do not have.
 */
export function serverDiagnosticsRoutes(compute: ComputeService): RouteDef[] {
  return [
    {
      method: "GET",
      path: "/servers/{server_id}/diagnostics",
      status: 200,
      handler: async (call) => {
        const instance = await compute.get(call.auth, call.params.server_id!);
        authorize(call.auth, DIAGNOSTICS, instance.projectId);
        return diagnosticsView(await compute.events.diagnostics(call.auth, instance.uuid), call.version);
      },
    },
    {
      method: "GET",
      path: "/servers/{server_id}/topology",
      min: "2.78",
      status: 200,
      handler: async (call) => {
        const instance = await compute.get(call.auth, call.params.server_id!);
        authorize(call.auth, TOPOLOGY, instance.projectId);
        // nova's answer for a server without a NUMA topology (the host-level fields of
        // compute:server:topology:host:index only exist in its nodes)
        return { nodes: [], pagesize_kb: null };
      },
    },
  ];
}
