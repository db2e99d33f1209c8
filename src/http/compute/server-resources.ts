import type { ComputeService } from "../../services/compute/compute-service.js";
import type { InstanceActionRow } from "../../store/schema.js";
import { badRequest, HttpFault, notFound } from "../faults.js";
import { authorize, type Policy } from "./policy.js";
import type { ComputeCall, RouteDef } from "./router.js";
import { MAX_LIMIT } from "./server-filters.js";
import { actionView, eventView, pagesWithLinks, showsEvents } from "./views/instance-actions.js";

const policy = (name: string, rule: Policy["rule"]): Policy => ({ name: `os_compute_api:${name}`, rule });

/** Loads the server named by `server_id` and checks `p` against its project. */
async function owned(compute: ComputeService, call: ComputeCall, p: Policy, allowDeleted = false) {
  const instance = await compute.get(call.auth, call.params.server_id!, { allowDeleted });
  authorize(call.auth, p, instance.projectId);
  return instance;
}

/** `/servers/{id}/ips`: addresses by network name. */
export function ipRoutes(compute: ComputeService): RouteDef[] {
  const byNetwork = (addresses: Array<{ network: string; address: string; version: number }>) => {
    const out: Record<string, Array<{ version: number; addr: string }>> = {};
    for (const a of addresses) {
      const list = out[a.network] ?? [];
      list.push({ version: a.version, addr: a.address });
      out[a.network] = list;
    }
    return out;
  };
  return [
    {
      method: "GET",
      path: "/servers/{server_id}/ips",
      status: 200,
      handler: async (call) => {
        const instance = await owned(compute, call, policy("ips:index", "project_reader"));
        return { addresses: byNetwork(instance.addresses) };
      },
    },
    {
      method: "GET",
      path: "/servers/{server_id}/ips/{id}",
      status: 200,
      handler: async (call) => {
        const instance = await owned(compute, call, policy("ips:show", "project_reader"));
        const network = call.params.id!;
        const all = byNetwork(instance.addresses);
        if (!all[network]) throw notFound("Instance is not a member of specified network");
        return { [network]: all[network] };
      },
    },
  ];
}

/** `/servers/{id}/metadata[/{key}]`. */
export function serverMetadataRoutes(compute: ComputeService): RouteDef[] {
  const path = "/servers/{server_id}/metadata";
  return [
    {
      method: "GET",
      path,
      status: 200,
      handler: async (call) => ({
        metadata: (await owned(compute, call, policy("server-metadata:index", "project_reader"))).metadata,
      }),
    },
    {
      method: "POST",
      path,
      status: 200,
      handler: async (call) => {
        const instance = await owned(compute, call, policy("server-metadata:create", "project_member"));
        return { metadata: await compute.metadata.set(call.auth, instance.uuid, call.body.metadata, false) };
      },
    },
    {
      method: "PUT",
      path,
      status: 200,
      handler: async (call) => {
        const instance = await owned(compute, call, policy("server-metadata:update_all", "project_member"));
        return { metadata: await compute.metadata.set(call.auth, instance.uuid, call.body.metadata, true) };
      },
    },
    {
      method: "GET",
      path: `${path}/{id}`,
      status: 200,
      handler: async (call) => {
        const instance = await owned(compute, call, policy("server-metadata:show", "project_reader"));
        const key = call.params.id!;
        if (!(key in instance.metadata)) throw notFound("Metadata item was not found");
        return { meta: { [key]: instance.metadata[key] } };
      },
    },
    {
      method: "PUT",
      path: `${path}/{id}`,
      status: 200,
      handler: async (call) => {
        const instance = await owned(compute, call, policy("server-metadata:update", "project_member"));
        const key = call.params.id!;
        const meta = call.body.meta as Record<string, string>;
        if (!(key in meta)) throw badRequest("Request body and URI mismatch");
        await compute.metadata.set(call.auth, instance.uuid, { [key]: meta[key]! }, false);
        return { meta: { [key]: meta[key] } };
      },
    },
    {
      method: "DELETE",
      path: `${path}/{id}`,
      status: 204,
      handler: async (call) => {
        const instance = await owned(compute, call, policy("server-metadata:delete", "project_member"));
        await compute.metadata.deleteItem(call.auth, instance.uuid, call.params.id!);
      },
    },
  ];
}

/** `/servers/{id}/tags[/{tag}]` (2.26+). */
export function serverTagRoutes(compute: ComputeService): RouteDef[] {
  const path = "/servers/{server_id}/tags";
  const p = (name: string, rule: Policy["rule"]) => policy(`os-server-tags:${name}`, rule);
  return [
    {
      method: "GET",
      path,
      min: "2.26",
      status: 200,
      handler: async (call) => ({ tags: (await owned(compute, call, p("index", "project_reader"))).tags }),
    },
    {
      method: "PUT",
      path,
      min: "2.26",
      status: 200,
      handler: async (call) => {
        const instance = await owned(compute, call, p("update_all", "project_member"));
        return { tags: await compute.tags.set(call.auth, instance.uuid, call.body.tags) };
      },
    },
    {
      method: "DELETE",
      path,
      min: "2.26",
      status: 204,
      handler: async (call) => {
        const instance = await owned(compute, call, p("delete_all", "project_member"));
        await compute.tags.set(call.auth, instance.uuid, [], "delete tags");
      },
    },
    {
      method: "GET",
      path: `${path}/{id}`,
      min: "2.26",
      status: 204,
      handler: async (call) => {
        const instance = await owned(compute, call, p("show", "project_reader"));
        if (!instance.tags.includes(call.params.id!)) {
          throw notFound(`Tag ${call.params.id} could not be found for instance ${instance.uuid}.`);
        }
      },
    },
    {
      method: "PUT",
      path: `${path}/{id}`,
      min: "2.26",
      status: 201,
      handler: async (call) => {
        const instance = await owned(compute, call, p("update", "project_member"));
        const tag = call.params.id!;
        if (instance.tags.includes(tag)) {
          call.setStatus(204);
          return undefined;
        }
        if (tag.includes(",") || tag.includes("/") || tag.length > 60) {
          throw badRequest(
            `Tag '${tag}' is invalid: tags may not contain ',' or '/' and are at most 60 characters`,
          );
        }
        await compute.tags.set(call.auth, instance.uuid, [...instance.tags, tag], "update tag");
        call.setHeader(
          "Location",
          `${call.links.self("servers", instance.uuid)}/tags/${encodeURIComponent(tag)}`,
        );
        return undefined;
      },
    },
    {
      method: "DELETE",
      path: `${path}/{id}`,
      min: "2.26",
      status: 204,
      handler: async (call) => {
        const instance = await owned(compute, call, p("delete", "project_member"));
        const tag = call.params.id!;
        if (!instance.tags.includes(tag)) {
          throw notFound(`Tag ${tag} could not be found for instance ${instance.uuid}.`);
        }
        await compute.tags.set(
          call.auth,
          instance.uuid,
          instance.tags.filter((t) => t !== tag),
          "delete tag",
        );
      },
    },
  ];
}

/** Who is looking at a server's actions, for the views. */
const viewer = (call: ComputeCall, projectId: string) => ({
  version: call.version,
  admin: call.auth.isAdmin,
  projectId,
});

/** The actions of deleted servers can be read from 2.21. */
const allowsDeleted = (call: ComputeCall) => call.version.atLeast("2.21");

/** `/servers/{id}/os-instance-actions[/{request_id}]`: the audit trail; from 2.21 also for deleted servers. */
export function instanceActionRoutes(compute: ComputeService): RouteDef[] {
  const path = "/servers/{server_id}/os-instance-actions";
  return [
    {
      method: "GET",
      path,
      status: 200,
      handler: async (call) => {
        const instance = await owned(
          compute,
          call,
          policy("os-instance-actions:list", "project_reader"),
          allowsDeleted(call),
        );
        const q = call.query;
        let marker: InstanceActionRow | undefined;
        if (q.marker?.length) {
          marker = await compute.actions.byRequestId(instance.uuid, q.marker.at(-1)!);
          if (!marker) throw badRequest(`Marker ${q.marker.at(-1)} could not be found.`);
        }
        const limitText = q.limit?.at(-1);
        const limit =
          limitText === undefined ? undefined : Math.min(Number(limitText) || MAX_LIMIT, MAX_LIMIT);
        const time = (name: string) => {
          const text = q[name]?.at(-1);
          if (text === undefined) return undefined;
          const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
          if (Number.isNaN(d.getTime())) throw badRequest(`Invalid filter field: ${name}.`);
          return d.toISOString();
        };
        const rows = await compute.actions.list(instance.uuid, {
          limit,
          marker,
          changesSince: time("changes-since"),
          changesBefore: time("changes-before"),
        });
        const v = viewer(call, instance.projectId);
        const body: Record<string, unknown> = { instanceActions: rows.map((r) => actionView(r, v)) };
        if (pagesWithLinks(call.version) && limit !== undefined && rows.length === limit && rows.length > 0) {
          body.links = [
            {
              rel: "next",
              href: call.links.next(`servers/${instance.uuid}/os-instance-actions`, rows.at(-1)!.request_id),
            },
          ];
        }
        return body;
      },
    },
    {
      method: "GET",
      path: `${path}/{id}`,
      status: 200,
      handler: async (call) => {
        const instance = await owned(
          compute,
          call,
          policy("os-instance-actions:show", "project_reader"),
          allowsDeleted(call),
        );
        const row = await compute.actions.byRequestId(instance.uuid, call.params.id!);
        if (!row)
          throw new HttpFault(
            404,
            `Action for request_id ${call.params.id} on instance ${instance.uuid} not found`,
          );
        const v = viewer(call, instance.projectId);
        const view = actionView(row, v);
        if (showsEvents(v)) view.events = (await compute.actions.events(row.id)).map((e) => eventView(e, v));
        return { instanceAction: view };
      },
    },
  ];
}
