import type { FastifyInstance } from "fastify";
import type { IpAvailability, IpAvailabilityFilters } from "../../services/network/ip-availability.js";
import { HttpFault } from "../faults.js";
import { pickFields } from "./attributes.js";
import { callerOf, queryOf } from "./resources.js";

/** network-ip-availability's filters (tenant_id is project_id's old name); ip_version filters only. */
const FILTERS = ["network_id", "network_name", "project_id", "tenant_id", "ip_version"] as const;

function filtersOf(query: URLSearchParams): { filters: IpAvailabilityFilters; fields: string[] } {
  for (const key of query.keys()) {
    if (key !== "fields" && !(FILTERS as readonly string[]).includes(key))
      throw new HttpFault(400, `[${key}] is invalid attribute for filtering`);
  }
  const filters: Record<string, string[]> = {};
  for (const key of FILTERS) {
    const values = query.getAll(key);
    if (values.length === 0) continue;
    const field = key === "tenant_id" ? "project_id" : key;
    filters[field] = [...(filters[field] ?? []), ...values];
  }
  return { filters, fields: query.getAll("fields").filter((f) => f !== "") };
}

/** Neutron's network-ip-availability extension: GET of the collection and of one network's. */
export function ipAvailabilityRoutes(scope: FastifyInstance, availability: IpAvailability): void {
  scope.get("/v2.0/network-ip-availabilities", async (request) => {
    const { filters, fields } = filtersOf(queryOf(request));
    const all = await availability.list(callerOf(request), filters);
    return { network_ip_availabilities: all.map((a) => pickFields({ ...a }, fields)) };
  });
  scope.get<{ Params: { id: string } }>("/v2.0/network-ip-availabilities/:id", async (request) => {
    const fields = queryOf(request)
      .getAll("fields")
      .filter((f) => f !== "");
    const found = await availability.show(callerOf(request), request.params.id);
    return { network_ip_availability: pickFields({ ...found }, fields) };
  });
}
