import type { FastifyInstance } from "fastify";
import type { InterfaceRequest, Routers } from "../../services/network/routers.js";
import { HttpFault } from "../faults.js";
import {
  type AttributeMap,
  boolean,
  booleanFilter,
  dictOf,
  listOf,
  standardAttributes,
  string,
  uuid,
} from "./attributes.js";
import { callerOf } from "./resources.js";

/** external_gateway_info: null or {} clear the gateway; otherwise network_id is required (l3, ext-gw-mode). */
function gatewayInfo(value: unknown, name: string): Record<string, unknown> | null {
  if (value === null) return null;
  if (typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0) return null;
  return dictOf({
    network_id: { convert: uuid, required: true },
    enable_snat: { convert: boolean },
    external_fixed_ips: {
      convert: listOf(dictOf({ subnet_id: { convert: uuid }, ip_address: { convert: string(64) } })),
    },
  })(value, name);
}

/** A router's attributes: router (l3), ext-gw-mode (enable_snat inside the gateway) and extraroute. */
export const ROUTER_ATTRIBUTES: AttributeMap = {
  ...standardAttributes(),
  name: {
    field: "name",
    extension: "router",
    allowPost: true,
    allowPut: true,
    isVisible: true,
    isFilter: true,
    convert: string(255),
  },
  admin_state_up: {
    field: "admin_state_up",
    extension: "router",
    allowPost: true,
    allowPut: true,
    isVisible: true,
    isFilter: true,
    convert: boolean,
    filterValue: booleanFilter,
  },
  status: {
    field: "status",
    extension: "router",
    allowPost: false,
    allowPut: false,
    isVisible: true,
    isFilter: true,
  },
  external_gateway_info: {
    field: "external_gateway_info",
    extension: "router",
    allowPost: true,
    allowPut: true,
    isVisible: true,
    isFilter: false,
    convert: gatewayInfo,
  },
  routes: {
    field: "routes",
    extension: "extraroute",
    allowPost: false,
    allowPut: true,
    isVisible: true,
    isFilter: false,
    convert: listOf(
      dictOf({
        destination: { convert: string(64), required: true },
        nexthop: { convert: string(64), required: true },
      }),
    ),
  },
};

/** PUT /v2.0/routers/{id}/add_router_interface and remove_router_interface: the body is the interface itself. */
export function routerInterfaceRoutes(scope: FastifyInstance, routers: Routers): void {
  const body = (raw: unknown): InterfaceRequest => {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw))
      throw new HttpFault(400, "Body contains invalid data");
    return raw as InterfaceRequest;
  };
  scope.put<{ Params: { id: string } }>("/v2.0/routers/:id/add_router_interface", async (request) =>
    routers.addInterface(callerOf(request), request.params.id, body(request.body)),
  );
  scope.put<{ Params: { id: string } }>("/v2.0/routers/:id/remove_router_interface", async (request) =>
    routers.removeInterface(callerOf(request), request.params.id, body(request.body)),
  );
}
