import { type AggregateService, InvalidAggregateAction } from "../../services/compute/aggregate-service.js";
import { NotFound } from "../../services/errors.js";
import { badRequest, conflict, notFound } from "../faults.js";
import { authorize, type Policy } from "./policy.js";
import type { ActionRouteDef, ComputeCall, RouteDef } from "./router.js";
import { aggregateView } from "./views/aggregates.js";

export interface AggregateRouteDeps {
  aggregates: AggregateService;
}

const p = (action: string): Policy => ({ name: `os_compute_api:os-aggregates:${action}`, rule: "admin" });

/** nova's validate_integer(id, "id"): the path segment as Python's int() reads it. */
function aggregateId(call: ComputeCall): number {
  const match = /^\s*([+-]?\d+(?:_\d+)*)\s*$/.exec(call.params.id!);
  if (!match) throw badRequest("Invalid input received: id must be an integer");
  return Number(match[1]!.replaceAll("_", ""));
}

/**
 * nova's names keep no leading or trailing spaces: from 2.1 the schemas refuse them (but
 * for the update's name), and the legacy /v2 ones are stripped (common.normalize_name).
 */
const normalize = (name: string) => name.trim();

/**
 * GET/POST /os-aggregates, GET/PUT/DELETE /os-aggregates/{id}, the add_host / remove_host
 * / set_metadata actions and (2.81) the image cache request. Admin only. Create, delete
 * and the actions answer 200, as nova always has.
 */
export function aggregateRoutes(deps: AggregateRouteDeps): Array<RouteDef | ActionRouteDef> {
  const { aggregates } = deps;
  return [
    {
      method: "GET",
      path: "/os-aggregates",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("index"));
        return { aggregates: (await aggregates.list()).map((a) => aggregateView(a, call.version)) };
      },
    },
    {
      method: "POST",
      path: "/os-aggregates",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("create"));
        const body = call.body.aggregate as { name: string; availability_zone?: string | null };
        const zone = body.availability_zone ? normalize(body.availability_zone) : null;
        const aggregate = await aggregates.create(normalize(body.name), zone);
        return { aggregate: aggregateView(aggregate, call.version, "create") };
      },
    },
    {
      method: "GET",
      path: "/os-aggregates/{id}",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("show"));
        return { aggregate: aggregateView(await aggregates.get(aggregateId(call)), call.version) };
      },
    },
    {
      method: "PUT",
      path: "/os-aggregates/{id}",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("update"));
        const body = call.body.aggregate as { name?: string; availability_zone?: string | null };
        const changes: { name?: string; availabilityZone?: string | null } = {};
        if (body.name !== undefined) changes.name = normalize(body.name);
        if ("availability_zone" in body) changes.availabilityZone = body.availability_zone ?? null;
        const aggregate = await aggregates.update(aggregateId(call), changes);
        return { aggregate: aggregateView(aggregate, call.version) };
      },
    },
    {
      method: "DELETE",
      path: "/os-aggregates/{id}",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("delete"));
        await aggregates.delete(aggregateId(call));
      },
    },
    {
      method: "POST",
      path: "/os-aggregates/{id}/action",
      actions: [
        {
          name: "add_host",
          status: 200,
          handler: async (call) => {
            authorize(call.auth, p("add_host"));
            const id = aggregateId(call);
            try {
              return { aggregate: aggregateView(await aggregates.addHost(id, call.body.host), call.version) };
            } catch (error) {
              // a zone rule refusing the host is a conflict here, not bad input
              if (error instanceof InvalidAggregateAction) throw conflict(error.message);
              throw error;
            }
          },
        },
        {
          name: "remove_host",
          status: 200,
          handler: async (call) => {
            authorize(call.auth, p("remove_host"));
            const id = aggregateId(call);
            const host = call.body.host as string;
            try {
              return { aggregate: aggregateView(await aggregates.removeHost(id, host), call.version) };
            } catch (error) {
              // nova words every "not found" here alike: unknown host, aggregate or membership
              if (error instanceof NotFound) {
                throw notFound(`Cannot remove host ${host} in aggregate ${call.params.id}`);
              }
              if (error instanceof InvalidAggregateAction) throw conflict(error.message);
              throw error;
            }
          },
        },
        {
          name: "set_metadata",
          status: 200,
          handler: async (call) => {
            authorize(call.auth, p("set_metadata"));
            const id = aggregateId(call);
            const aggregate = await aggregates.setMetadata(id, call.body.metadata);
            return { aggregate: aggregateView(aggregate, call.version) };
          },
        },
      ],
    },
    {
      method: "POST",
      path: "/os-aggregates/{id}/images",
      min: "2.81",
      status: 202,
      handler: async (call) => {
        authorize(call.auth, { name: "compute:aggregates:images", rule: "admin" });
        const id = aggregateId(call);
        const images = (call.body.cache as Array<{ id: string }>).map((image) => image.id);
        await aggregates.cacheImages(call.auth, id, images);
      },
    },
  ];
}
