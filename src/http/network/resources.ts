import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AuthContext } from "../../services/context.js";
import type { TaggedKind, Tags } from "../../services/network/tags.js";
import { HttpFault } from "../faults.js";
import {
  type AttributeMap,
  parseBody,
  parseListQuery,
  passes,
  pickFields,
  render,
  sortResources,
} from "./attributes.js";

/** What the routes of one resource need from its service. */
export interface ResourceService {
  list(caller: AuthContext): Promise<object[]>;
  show(caller: AuthContext, id: string): Promise<object>;
  create(caller: AuthContext, changes: Record<string, unknown>): Promise<object>;
  update(
    caller: AuthContext,
    id: string,
    changes: Record<string, unknown>,
    expectedRevision?: number,
  ): Promise<object>;
  delete(caller: AuthContext, id: string, expectedRevision?: number): Promise<void>;
}

/** One collection of the v2.0 API, described by data. */
export interface Resource {
  member: string;
  /** The URL's collection: a kind of tagged resource, or one without tags. */
  collection: TaggedKind | "security-group-rules";
  /** The body's key for many of them, when it is not the collection (security_groups). */
  plural?: string;
  attributes: AttributeMap;
  service: ResourceService;
  /** The error for a marker that names no resource the caller sees. */
  notFound(id: string): Error;
  /** False for a resource without standard-attr-tag (security group rules): no tags routes. */
  tagged?: boolean;
}

type Params = { id: string };
type TagParams = { id: string; tag: string };

export function callerOf(request: FastifyRequest): AuthContext {
  if (!request.auth) throw new HttpFault(401, "The request you have made requires authentication.");
  return request.auth;
}

export function queryOf(request: FastifyRequest): URLSearchParams {
  const at = request.url.indexOf("?");
  return new URLSearchParams(at < 0 ? "" : request.url.slice(at + 1));
}

/** `If-Match: revision_number=N` (revision-if-match); other entity tags are not Neutron's and are ignored. */
function expectedRevision(request: FastifyRequest): number | undefined {
  const header = request.headers["if-match"];
  if (typeof header !== "string") return undefined;
  for (const part of header.split(",")) {
    const [key, value] = part.trim().split("=");
    if (key !== "revision_number") continue;
    if (value === undefined || !/^\d+$/.test(value))
      throw new HttpFault(400, `Invalid revision_number constraint in If-Match header: ${part.trim()}`);
    return Number(value);
  }
  return undefined;
}

/** The body's one resource (`{"network": {...}}`), or each of a bulk create's (`{"networks": [...]}`). */
function bodyResources(resource: Resource, body: unknown, bulk: boolean): unknown[] {
  const input = (body ?? {}) as Record<string, unknown>;
  if (typeof input !== "object" || Array.isArray(input))
    throw new HttpFault(400, "Body contains invalid data");
  const plural = resource.plural ?? resource.collection;
  if (bulk && Array.isArray(input[plural])) {
    const items = input[plural] as unknown[];
    if (items.length === 0) throw new HttpFault(400, "Resources required");
    return items;
  }
  if (!(resource.member in input))
    throw new HttpFault(400, `Unable to find '${resource.member}' in request body`);
  return [input[resource.member]];
}

/**
 * Mounts a collection's routes: list with filters, fields, sorting and pagination; show;
 * create (one or bulk); update with If-Match; delete; and its tags.
 */
export function resourceRoutes(
  scope: FastifyInstance,
  resource: Resource,
  tags: Tags,
  baseUrl: string,
): void {
  const { collection, member, attributes, service } = resource;
  const plural = resource.plural ?? collection;
  const view = (caller: AuthContext, record: object, fields: readonly string[] = []) =>
    pickFields(render(attributes, record, caller.isAdmin), fields);

  scope.get(`/v2.0/${collection}`, async (request) => {
    const caller = callerOf(request);
    const params = queryOf(request);
    const query = parseListQuery(attributes, params, caller.isAdmin);
    const all = (await service.list(caller))
      .map((r) => render(attributes, r, caller.isAdmin))
      .filter((r) => passes(r, query));
    sortResources(all, query);
    let start = 0;
    let end = all.length;
    if (query.marker !== undefined) {
      const at = all.findIndex((r) => r.id === query.marker);
      if (at < 0) throw resource.notFound(query.marker);
      if (query.pageReverse) end = at;
      else start = at + 1;
    }
    if (query.limit !== undefined) {
      if (query.pageReverse) start = Math.max(0, end - query.limit);
      else end = Math.min(all.length, start + query.limit);
    }
    const page = all.slice(start, end);
    const body: Record<string, unknown> = { [plural]: page.map((r) => pickFields(r, query.fields)) };
    if (query.limit !== undefined) {
      const link = (marker: unknown, reverse: boolean) => {
        const next = new URLSearchParams([...params].filter(([k]) => k !== "marker" && k !== "page_reverse"));
        next.set("marker", String(marker));
        if (reverse) next.set("page_reverse", "True");
        return `${baseUrl}/v2.0/${collection}?${next.toString()}`;
      };
      const links: Array<{ rel: string; href: string }> = [];
      if (page.length > 0 && end < all.length)
        links.push({ rel: "next", href: link(page.at(-1)!.id, false) });
      if (page.length > 0 && start > 0) links.push({ rel: "previous", href: link(page[0]!.id, true) });
      body[`${plural}_links`] = links;
    }
    return body;
  });

  scope.get<{ Params: Params }>(`/v2.0/${collection}/:id`, async (request) => {
    const caller = callerOf(request);
    const fields = queryOf(request)
      .getAll("fields")
      .filter((f) => f !== "");
    return { [member]: view(caller, await service.show(caller, request.params.id), fields) };
  });

  scope.post(`/v2.0/${collection}`, async (request, reply) => {
    const caller = callerOf(request);
    const bulk = Array.isArray((request.body as Record<string, unknown> | null)?.[plural]);
    const items = bodyResources(resource, request.body, true).map((item) =>
      parseBody(attributes, item, "POST"),
    );
    const created: object[] = [];
    try {
      for (const changes of items) created.push(await service.create(caller, changes));
    } catch (error) {
      // a bulk create is all or nothing, as Neutron's emulated bulk undoes what it made
      for (const done of created)
        await service.delete(caller, (done as { id: string }).id).catch(() => undefined);
      throw error;
    }
    void reply.code(201);
    return bulk ? { [plural]: created.map((r) => view(caller, r)) } : { [member]: view(caller, created[0]!) };
  });

  scope.put<{ Params: Params }>(`/v2.0/${collection}/:id`, async (request) => {
    const caller = callerOf(request);
    const [item] = bodyResources(resource, request.body, false);
    const changes = parseBody(attributes, item, "PUT");
    const record = await service.update(caller, request.params.id, changes, expectedRevision(request));
    return { [member]: view(caller, record) };
  });

  scope.delete<{ Params: Params }>(`/v2.0/${collection}/:id`, async (request, reply) => {
    await service.delete(callerOf(request), request.params.id, expectedRevision(request));
    void reply.code(204);
  });

  if (resource.tagged === false) return;
  const kind = collection as TaggedKind;

  // standard-attr-tag
  scope.get<{ Params: Params }>(`/v2.0/${collection}/:id/tags`, async (request) => ({
    tags: await tags.list(callerOf(request), kind, request.params.id),
  }));
  scope.put<{ Params: Params }>(`/v2.0/${collection}/:id/tags`, async (request) => {
    const list = (request.body as { tags?: unknown } | null)?.tags;
    if (!Array.isArray(list) || list.some((t) => typeof t !== "string"))
      throw new HttpFault(400, "Invalid input for tags. Reason: a list of strings is required.");
    return { tags: await tags.replace(callerOf(request), kind, request.params.id, list as string[]) };
  });
  scope.delete<{ Params: Params }>(`/v2.0/${collection}/:id/tags`, async (request, reply) => {
    await tags.replace(callerOf(request), kind, request.params.id, []);
    void reply.code(204);
  });
  scope.get<{ Params: TagParams }>(`/v2.0/${collection}/:id/tags/:tag`, async (request, reply) => {
    await tags.check(callerOf(request), kind, request.params.id, request.params.tag);
    void reply.code(204);
  });
  scope.put<{ Params: TagParams }>(`/v2.0/${collection}/:id/tags/:tag`, async (request, reply) => {
    await tags.add(callerOf(request), kind, request.params.id, request.params.tag);
    void reply.code(201);
  });
  scope.delete<{ Params: TagParams }>(`/v2.0/${collection}/:id/tags/:tag`, async (request, reply) => {
    await tags.remove(callerOf(request), kind, request.params.id, request.params.tag);
    void reply.code(204);
  });
}
