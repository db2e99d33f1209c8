import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../../config.js";
import {
  capacityOf,
  fits,
  type Placement,
  ResourceClass,
  type Resources,
} from "../../services/compute/placement.js";
import type { Inventory, ProviderUsage } from "../../store/placement-repository.js";
import type { ResourceProviderRow } from "../../store/schema.js";
import { type Authenticate, authHook } from "../auth-hook.js";
import { HttpFault } from "../faults.js";
import { describeRoutes } from "../openapi/fastify-routes.js";
import { installPlacementErrors, VersionNotAcceptable } from "./errors.js";

export interface PlacementDeps {
  placement: Placement;
  authenticate: Authenticate;
  config: Config;
}

/**
 * The microversions this read-only placement answers in: to 1.27, before consumer
 * generations (1.28), which nimbus's claims do not keep.
 */
const MIN = [1, 0] as const;
const MAX = [1, 27] as const;
const VERSION_HEADER = "openstack-api-version";

type Version = readonly [number, number];
const atLeast = (v: Version, minor: number) => v[1] >= minor;

declare module "fastify" {
  interface FastifyRequest {
    placementVersion: Version;
  }
}

/** `OpenStack-API-Version: placement 1.x` (or `latest`); 1.0 without one. */
function negotiate(request: FastifyRequest, reply: FastifyReply): Version {
  const header = request.headers[VERSION_HEADER];
  const wanted = (Array.isArray(header) ? header.join(",") : (header ?? ""))
    .split(",")
    .map((part) => part.trim().split(/\s+/))
    .find(([service]) => service?.toLowerCase() === "placement")?.[1];
  let version: Version = MIN;
  if (wanted === "latest") version = MAX;
  else if (wanted !== undefined) {
    const match = /^(\d+)\.(\d+)$/.exec(wanted);
    if (!match) throw new HttpFault(400, `invalid version string: ${wanted}`);
    version = [Number(match[1]), Number(match[2])];
    if (version[0] !== MAX[0] || version[1] > MAX[1]) {
      throw new VersionNotAcceptable(wanted, { min_version: MIN.join("."), max_version: MAX.join(".") });
    }
  }
  void reply.header(VERSION_HEADER, `placement ${version.join(".")}`).header("vary", VERSION_HEADER);
  return version;
}

function requireVersion(request: FastifyRequest, minor: number): void {
  if (!atLeast(request.placementVersion, minor)) throw new HttpFault(404, "The resource could not be found.");
}

/** placement's `?resources=VCPU:2,MEMORY_MB:1024`. */
function parseResources(text: string | undefined): Resources {
  const bad = () =>
    new HttpFault(
      400,
      `Badly formed resources parameter. Expected resources query string parameter in form: ?resources=VCPU:2,MEMORY_MB:1024. Got: ${text ?? ""}.`,
    );
  if (!text) throw bad();
  const out: Resources = {};
  for (const part of text.split(",")) {
    const match = /^([A-Z0-9_]+):(\d+)$/.exec(part.trim());
    if (!match) throw bad();
    out[match[1]!] = Number(match[2]);
  }
  return out;
}

function inventoryView(i: Inventory) {
  return {
    allocation_ratio: i.allocationRatio,
    max_unit: i.maxUnit,
    min_unit: i.minUnit,
    reserved: i.reserved,
    step_size: i.stepSize,
    total: i.total,
  };
}

/**
 * A read-only Placement API under `/placement` (admin, as placement's default policy has it)
 * over nimbus's own claims: resource providers with their inventories, usages and
 * allocations, a consumer's allocations, a project's usages, resource classes, traits (none)
 * and allocation candidates. Errors have placement's `{"errors": [...]}` bodies.
 */
export async function registerPlacement(app: FastifyInstance, deps: PlacementDeps): Promise<void> {
  const publicUrl = deps.config.publicUrl.replace(/\/+$/, "");
  const { placement } = deps;
  // set by the scope's first hook on each request; a reference type cannot be the default
  app.decorateRequest("placementVersion", null as unknown as Version);

  await app.register(
    async (scope) => {
      describeRoutes(scope, { title: "OpenStack Placement API", version: MAX.join(".") });
      installPlacementErrors(scope, `${publicUrl}/identity`);
      scope.addHook("onRequest", async (request, reply) => {
        reply.removeHeader("x-compute-request-id");
        request.placementVersion = negotiate(request, reply);
      });

      scope.get("/", async () => ({
        versions: [
          {
            id: "v1.0",
            max_version: MAX.join("."),
            min_version: MIN.join("."),
            status: "CURRENT",
            links: [{ rel: "self", href: "" }],
          },
        ],
      }));

      await scope.register(async (api) => {
        api.addHook("onRequest", authHook(deps.authenticate));
        api.addHook("preHandler", async (request) => {
          if (!request.auth?.isAdmin) {
            throw new HttpFault(403, "Access was denied to this resource.");
          }
        });

        const href = (path: string) => `/placement${path}`;
        const providerView = (row: ResourceProviderRow, version: Version) => {
          const self = `/resource_providers/${row.uuid}`;
          const links = [
            { rel: "self", href: href(self) },
            { rel: "inventories", href: href(`${self}/inventories`) },
            { rel: "usages", href: href(`${self}/usages`) },
          ];
          if (atLeast(version, 1)) links.push({ rel: "aggregates", href: href(`${self}/aggregates`) });
          if (atLeast(version, 6)) links.push({ rel: "traits", href: href(`${self}/traits`) });
          if (atLeast(version, 11)) links.push({ rel: "allocations", href: href(`${self}/allocations`) });
          return {
            uuid: row.uuid,
            name: row.name,
            generation: row.generation,
            links,
            // nimbus's providers are compute nodes, each the root of a tree of one
            ...(atLeast(version, 14) ? { parent_provider_uuid: null, root_provider_uuid: row.uuid } : {}),
          };
        };
        const provider = async (uuid: string) => {
          const [row] = await placement.providers({ uuid });
          if (!row) throw new HttpFault(404, `No resource provider with uuid ${uuid} found`);
          return row;
        };
        const usageOf = async (row: ResourceProviderRow): Promise<ProviderUsage> =>
          (await placement.usages([row.name]))[0]!;

        api.get<{ Querystring: Record<string, string> }>("/resource_providers", async (request) => {
          const version = request.placementVersion;
          const query = request.query;
          const allowed = new Set(["name", "uuid", ...(atLeast(version, 4) ? ["resources"] : [])]);
          if (atLeast(version, 14)) allowed.add("in_tree");
          if (atLeast(version, 3)) allowed.add("member_of");
          if (atLeast(version, 18)) allowed.add("required");
          const unknown = Object.keys(query).filter((k) => !allowed.has(k));
          if (unknown.length > 0) {
            throw new HttpFault(400, `Invalid query string parameters: '${unknown[0]}' was unexpected`);
          }
          let rows = await placement.providers({ name: query.name, uuid: query.uuid ?? query.in_tree });
          // no provider is in a placement aggregate, nor has traits
          if (query.member_of !== undefined) rows = [];
          if (query.required?.split(",").some((t) => !t.startsWith("!"))) rows = [];
          if (query.resources !== undefined) {
            const wanted = parseResources(query.resources);
            const usages = await placement.usages(rows.map((r) => r.name));
            const room = new Set(usages.filter((u) => fits(u, wanted)).map((u) => u.name));
            rows = rows.filter((r) => room.has(r.name));
          }
          return { resource_providers: rows.map((r) => providerView(r, version)) };
        });

        api.get<{ Params: { uuid: string } }>("/resource_providers/:uuid", async (request) =>
          providerView(await provider(request.params.uuid), request.placementVersion),
        );

        api.get<{ Params: { uuid: string } }>("/resource_providers/:uuid/inventories", async (request) => {
          const row = await provider(request.params.uuid);
          const usage = await usageOf(row);
          return {
            inventories: Object.fromEntries([...usage.inventories].map(([rc, i]) => [rc, inventoryView(i)])),
            resource_provider_generation: row.generation,
          };
        });

        api.get<{ Params: { uuid: string; rc: string } }>(
          "/resource_providers/:uuid/inventories/:rc",
          async (request) => {
            const row = await provider(request.params.uuid);
            const inventory = (await usageOf(row)).inventories.get(request.params.rc);
            if (!inventory) {
              throw new HttpFault(
                404,
                `No inventory of class ${request.params.rc} for ${request.params.uuid}`,
              );
            }
            return { ...inventoryView(inventory), resource_provider_generation: row.generation };
          },
        );

        api.get<{ Params: { uuid: string } }>("/resource_providers/:uuid/usages", async (request) => {
          const row = await provider(request.params.uuid);
          const usage = await usageOf(row);
          // every class of the inventory is listed, the unused ones as 0
          const usages = Object.fromEntries(
            [...usage.inventories.keys()].map((rc) => [rc, usage.used.get(rc) ?? 0]),
          );
          return { usages, resource_provider_generation: row.generation };
        });

        api.get<{ Params: { uuid: string } }>("/resource_providers/:uuid/allocations", async (request) => {
          const row = await provider(request.params.uuid);
          const held = await placement.allocationsOn(row.id);
          return {
            allocations: Object.fromEntries(
              [...held].map(([consumer, resources]) => [consumer, { resources }]),
            ),
            resource_provider_generation: row.generation,
          };
        });

        api.get<{ Params: { uuid: string } }>("/resource_providers/:uuid/aggregates", async (request) => {
          requireVersion(request, 1);
          const row = await provider(request.params.uuid);
          return {
            aggregates: [],
            ...(atLeast(request.placementVersion, 19)
              ? { resource_provider_generation: row.generation }
              : {}),
          };
        });

        api.get<{ Params: { uuid: string } }>("/resource_providers/:uuid/traits", async (request) => {
          requireVersion(request, 6);
          const row = await provider(request.params.uuid);
          return { traits: [], resource_provider_generation: row.generation };
        });

        api.get<{ Params: { consumer: string } }>("/allocations/:consumer", async (request) => {
          const version = request.placementVersion;
          const held = await placement.consumerAllocations(request.params.consumer);
          const allocations = Object.fromEntries(
            held.map((h) => [h.uuid, { generation: h.generation, resources: h.resources }]),
          );
          // 1.12 names the consumer's project and user, when it holds anything
          const owner =
            atLeast(version, 12) && held.length > 0
              ? await placement.consumerOwner(request.params.consumer)
              : undefined;
          return { allocations, ...(owner ? { project_id: owner.projectId, user_id: owner.userId } : {}) };
        });

        api.get<{ Querystring: { project_id?: string; user_id?: string } }>("/usages", async (request) => {
          requireVersion(request, 9);
          const { project_id: projectId, user_id: userId } = request.query;
          if (!projectId)
            throw new HttpFault(400, "Invalid query string parameters: 'project_id' is a required property");
          return { usages: await placement.projectUsage(projectId, userId) };
        });

        api.get("/resource_classes", async (request) => {
          requireVersion(request, 2);
          return {
            resource_classes: Object.values(ResourceClass).map((name) => ({
              name,
              links: [{ rel: "self", href: href(`/resource_classes/${name}`) }],
            })),
          };
        });

        api.get("/traits", async (request) => {
          requireVersion(request, 6);
          return { traits: [] };
        });

        api.get<{ Querystring: Record<string, string> }>("/allocation_candidates", async (request) => {
          requireVersion(request, 10);
          const version = request.placementVersion;
          const wanted = parseResources(request.query.resources);
          const limit = request.query.limit === undefined ? undefined : Number(request.query.limit);
          const usages = (await placement.usages()).filter((u) => fits(u, wanted)).slice(0, limit);
          const rows = new Map((await placement.providers()).map((r) => [r.name, r]));
          const uuidOf = (u: ProviderUsage) => rows.get(u.name)!.uuid;
          const resources = Object.fromEntries(Object.entries(wanted).filter(([, n]) => (n ?? 0) > 0));
          const allocationRequests = usages.map((u) =>
            atLeast(version, 12)
              ? { allocations: { [uuidOf(u)]: { resources } } }
              : { allocations: [{ resource_provider: { uuid: uuidOf(u) }, resources }] },
          );
          const summaries = Object.fromEntries(
            usages.map((u) => [
              uuidOf(u),
              {
                resources: Object.fromEntries(
                  [...u.inventories].map(([rc, i]) => [
                    rc,
                    { capacity: capacityOf(i), used: u.used.get(rc) ?? 0 },
                  ]),
                ),
                ...(atLeast(version, 17) ? { traits: [] } : {}),
              },
            ]),
          );
          return { allocation_requests: allocationRequests, provider_summaries: summaries };
        });
      });
    },
    { prefix: "/placement" },
  );
}
