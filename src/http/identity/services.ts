import type { FastifyInstance } from "fastify";
import { REGION, serviceDescription } from "../../services/identity/catalog.js";
import { IdentityNotFound } from "../../services/identity/errors.js";
import { callerOf, type IdentityRoutes, type Params, queryParam, selfLink } from "./context.js";
import { collectionLinks, endpointView, serviceView } from "./views.js";

/** The catalog as Keystone's services, endpoints and regions (read-only: nimbus derives it from its URL). */
export async function catalogRoutes(scope: FastifyInstance, { identity, v3 }: IdentityRoutes): Promise<void> {
  scope.get("/v3/services", async (request) => {
    const type = queryParam(request, "type");
    const services = identity.listCatalogServices(callerOf(request)).filter((s) => !type || s.type === type);
    return {
      services: services.map((s) => serviceView(s, v3, serviceDescription(s.type))),
      links: collectionLinks(selfLink(request, v3)),
    };
  });

  scope.get<{ Params: Params }>("/v3/services/:id", async (request) => {
    const id = request.params.id!;
    const service = identity.listCatalogServices(callerOf(request)).find((s) => s.id === id);
    if (!service) throw new IdentityNotFound("service", id);
    return { service: serviceView(service, v3, serviceDescription(service.type)) };
  });

  scope.get("/v3/endpoints", async (request) => {
    const serviceId = queryParam(request, "service_id");
    const iface = queryParam(request, "interface");
    const region = queryParam(request, "region_id") ?? queryParam(request, "region");
    const endpoints = identity
      .listCatalogServices(callerOf(request))
      .filter((s) => !serviceId || s.id === serviceId)
      .flatMap((s) => s.endpoints.map((e) => ({ s, e })))
      .filter(({ e }) => (!iface || e.interface === iface) && (!region || e.region_id === region));
    return {
      endpoints: endpoints.map(({ s, e }) => endpointView(s, e, v3)),
      links: collectionLinks(selfLink(request, v3)),
    };
  });

  scope.get<{ Params: Params }>("/v3/endpoints/:id", async (request) => {
    const id = request.params.id!;
    for (const s of identity.listCatalogServices(callerOf(request))) {
      const e = s.endpoints.find((endpoint) => endpoint.id === id);
      if (e) return { endpoint: endpointView(s, e, v3) };
    }
    throw new IdentityNotFound("endpoint", id);
  });

  const region = {
    id: REGION,
    description: "",
    parent_region_id: null,
    links: { self: `${v3}/regions/${REGION}` },
  };
  scope.get("/v3/regions", async (request) => ({
    regions: [region],
    links: collectionLinks(selfLink(request, v3)),
  }));
  scope.get<{ Params: Params }>("/v3/regions/:id", async (request) => {
    if (request.params.id !== REGION) throw new IdentityNotFound("region", request.params.id!);
    return { region };
  });
}
