import {
  ComputeServiceUnavailable,
  type Hypervisor,
  type HypervisorService,
  type NodeKey,
} from "../../services/compute/hypervisor-service.js";
import { badRequest, HttpFault, notFound } from "../faults.js";
import { strictBool } from "./flavors.js";
import { lastValue, nextLinks, type Page, pageOf } from "./pagination.js";
import { authorize, type Policy } from "./policy.js";
import type { ComputeCall, RouteDef } from "./router.js";
import { NOVA_FORMATS } from "./validation.js";
import { type HypervisorViewKind, hypervisorView } from "./views/hypervisors.js";

const p = (action: string): Policy => ({ name: `os_compute_api:os-hypervisors:${action}`, rule: "admin" });

export interface HypervisorRouteDeps {
  hypervisors: HypervisorService;
}

/** Lists page by limit and marker from 2.33. */
const PAGED_FROM = "2.33";
/** Ids are uuids, and the search and servers routes become query parameters, from 2.53. */
const UUIDS_FROM = "2.53";
/** The detail view trades capacity and usage for the host's uptime from 2.88. */
const UPTIME_FROM = "2.88";

/** Python's int() of a path segment (oslo validate_integer). */
const INTEGER = /^\s*[+-]?\d+(_\d+)*\s*$/;

const notFoundById = (id: string) => notFound(`Hypervisor with ID '${id}' could not be found.`);
const noMatch = (pattern: string) => notFound(`No hypervisor matching '${pattern}' could be found.`);

/** A compute node id as nova reads it: a uuid, else an integer row id. */
function nodeKey(text: string): NodeKey | undefined {
  if (NOVA_FORMATS.uuid!(text)) return { uuid: text };
  if (INTEGER.test(text)) return { id: Number(text.replace(/_/g, "")) };
  return undefined;
}

/**
 * nova's _validate_id: from 2.53 a hypervisor id must look like a uuid (else 400); before,
 * an integer (else the hypervisor is simply not found).
 */
function pathKey(call: ComputeCall): NodeKey {
  const id = call.params.id!;
  if (call.version.atLeast(UUIDS_FROM)) {
    if (!NOVA_FORMATS.uuid!(id)) throw badRequest(`Invalid uuid ${id}`);
    return { uuid: id };
  }
  if (!INTEGER.test(id)) throw notFoundById(id);
  return { id: Number(id.replace(/_/g, "")) };
}

/** `with_servers` (2.53): a strict boolean the query schema has already checked. */
function withServers(call: ComputeCall): boolean {
  if (!call.version.atLeast(UUIDS_FROM)) return false;
  return strictBool(lastValue(call.query, "with_servers") ?? false) === true;
}

/**
 * GET /os-hypervisors[/detail|/statistics], GET /os-hypervisors/{id}[/uptime|/search|/servers]
 * (all admin). Each hypervisor is a compute host that registered, with the usage of the
 * servers placed on it and the state of its nova-compute service.
 */
export function hypervisorRoutes(deps: HypervisorRouteDeps): RouteDef[] {
  const { hypervisors } = deps;

  /** 2.88's uptime field: the host's, when it can be asked (nova leaves it null otherwise). */
  const uptimeOrNull = (h: Hypervisor) =>
    hypervisors.uptime(h).catch((error: unknown) => {
      if (error instanceof ComputeServiceUnavailable) return null;
      throw error;
    });

  /** nova's _get_hypervisors: one page, or every hypervisor matching hypervisor_hostname_pattern. */
  const listing = async (call: ComputeCall, kind: HypervisorViewKind) => {
    const collection = kind === "detail" ? "os-hypervisors/detail" : "os-hypervisors";
    const page: Page | undefined = call.version.atLeast(PAGED_FROM) ? pageOf(call.query) : undefined;
    const pattern = call.version.atLeast(UUIDS_FROM)
      ? lastValue(call.query, "hypervisor_hostname_pattern")
      : undefined;
    const servers = withServers(call);
    let found: Hypervisor[];
    if (pattern !== undefined) {
      if (call.query.limit !== undefined || page?.marker) {
        throw badRequest(
          "Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.",
        );
      }
      found = await hypervisors.list({ pattern, withServers: servers });
      if (found.length === 0) throw noMatch(pattern);
    } else {
      let after: NodeKey | undefined;
      if (page?.marker !== undefined) {
        after = nodeKey(page.marker);
        if (!after || !(await hypervisors.exists(after)))
          throw badRequest(`marker [${page.marker}] not found`);
      }
      found = await hypervisors.list({ after, limit: page?.limit, withServers: servers });
    }
    const detail = kind === "detail";
    const uptimes =
      detail && call.version.atLeast(UPTIME_FROM) ? await Promise.all(found.map(uptimeOrNull)) : [];
    const views = found.map((h, i) =>
      hypervisorView(h, { version: call.version, kind, withServers: servers, uptime: uptimes[i] }),
    );
    const body: Record<string, unknown> = { hypervisors: views };
    const next =
      pattern === undefined && page && nextLinks(call, collection, page, views, (v) => String(v.id));
    if (next) body.hypervisors_links = next;
    return body;
  };

  /** The hypervisors whose hostname matches the path's pattern (pre-2.53 search and servers). */
  const search = async (call: ComputeCall, servers: boolean) => {
    const pattern = call.params.id!;
    const found = await hypervisors.list({ pattern, withServers: servers });
    if (found.length === 0) throw noMatch(pattern);
    return {
      hypervisors: found.map((h) => hypervisorView(h, { version: call.version, kind: "summary" })),
    };
  };

  return [
    {
      method: "GET",
      path: "/os-hypervisors",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("list"));
        return listing(call, "summary");
      },
    },
    {
      method: "GET",
      path: "/os-hypervisors/detail",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("list-detail"));
        return listing(call, "detail");
      },
    },
    {
      method: "GET",
      path: "/os-hypervisors/statistics",
      max: "2.87",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("statistics"));
        return { hypervisor_statistics: await hypervisors.statistics() };
      },
    },
    {
      method: "GET",
      path: "/os-hypervisors/{id}",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("show"));
        const servers = withServers(call);
        const key = pathKey(call);
        const found = await hypervisors.find(key, { withServers: servers });
        if (!found) throw notFoundById(call.params.id!);
        const uptime = call.version.atLeast(UPTIME_FROM) ? await uptimeOrNull(found) : undefined;
        return {
          hypervisor: hypervisorView(found, {
            version: call.version,
            kind: "detail",
            withServers: servers,
            uptime,
          }),
        };
      },
    },
    {
      method: "GET",
      path: "/os-hypervisors/{id}/uptime",
      max: "2.87",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("uptime"));
        const found = await hypervisors.find(pathKey(call));
        if (!found) throw notFoundById(call.params.id!);
        const uptime = await hypervisors.uptime(found);
        if (uptime === null) throw new HttpFault(501, "The requested functionality is not supported.");
        return {
          hypervisor: { ...hypervisorView(found, { version: call.version, kind: "summary" }), uptime },
        };
      },
    },
    {
      method: "GET",
      path: "/os-hypervisors/{id}/search",
      max: "2.52",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("search"));
        return search(call, false);
      },
    },
    {
      method: "GET",
      path: "/os-hypervisors/{id}/servers",
      max: "2.52",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("servers"));
        return search(call, true);
      },
    },
  ];
}
