import type { FastifyInstance } from "fastify";
import { isReservedProperty } from "../../services/image/image.js";
import type { CreateImageSpec } from "../../services/image/image-service.js";
import { badRequest, forbidden } from "../faults.js";
import { callerOf, type ImageRoutes, type Params, queryOf, type TagParams } from "./context.js";
import { parseListQuery } from "./list-query.js";
import { parsePatch, patchDraft } from "./patch.js";
import { IMAGE_SCHEMA, IMAGES_SCHEMA, validateImage } from "./schemas.js";
import { imageHref, imageView } from "./views.js";

/** Members a create body may not carry at all (RequestDeserializer._disallowed_properties). */
const DISALLOWED = ["direct_url", "self", "file", "schema", "stores"];
/** Base attributes only Glance sets (ImageFactory._readonly_properties). */
const READONLY = [
  "created_at",
  "updated_at",
  "status",
  "checksum",
  "size",
  "virtual_size",
  "os_hash_algo",
  "os_hash_value",
];
/** The base attributes a create body sets on the image itself; the rest are extra properties. */
const SETTABLE = [
  "id",
  "name",
  "visibility",
  "protected",
  "os_hidden",
  "owner",
  "container_format",
  "disk_format",
  "min_disk",
  "min_ram",
  "tags",
];

/** A `POST /v2/images` body to a create spec, refusing what Glance's deserializer and factory refuse. */
export function createSpec(body: unknown): CreateImageSpec {
  if (body === undefined) throw badRequest("Body expected in request.");
  if (typeof body === "object" && body !== null && !Array.isArray(body)) {
    for (const key of DISALLOWED)
      if (Object.hasOwn(body, key)) throw forbidden(`Attribute '${key}' is read-only.`);
  }
  validateImage(body);
  const fields = { ...(body as Record<string, unknown>) };
  for (const key of READONLY)
    if (Object.hasOwn(fields, key)) throw forbidden(`Attribute '${key}' is read-only.`);
  const base: Record<string, unknown> = {};
  for (const key of SETTABLE) {
    if (Object.hasOwn(fields, key)) {
      base[key] = fields[key];
      delete fields[key];
    }
  }
  for (const key of Object.keys(fields)) {
    if (key.length > 255) throw badRequest("Custom property should not be greater than 255 characters.");
    if (isReservedProperty(key)) throw forbidden(`Attribute '${key}' is reserved.`);
  }
  const spec: CreateImageSpec = { properties: fields as Record<string, string | null> };
  if (base.id !== undefined) spec.id = base.id as string;
  if (base.name !== undefined) spec.name = base.name as string | null;
  if (base.visibility !== undefined) spec.visibility = base.visibility as CreateImageSpec["visibility"];
  if (base.protected !== undefined) spec.protected = base.protected as boolean;
  if (base.os_hidden !== undefined) spec.osHidden = base.os_hidden as boolean;
  if (base.owner !== undefined) spec.owner = base.owner as string | null;
  if (base.container_format !== undefined) spec.containerFormat = base.container_format as string | null;
  if (base.disk_format !== undefined) spec.diskFormat = base.disk_format as string | null;
  if (base.min_disk !== undefined) spec.minDisk = base.min_disk as number;
  if (base.min_ram !== undefined) spec.minRam = base.min_ram as number;
  if (base.tags !== undefined) spec.tags = (base.tags as string[]).map((tag) => tag);
  return spec;
}

/** The image resource: list, create, show, update (JSON patch), delete, tags, (de)activation, schemas. */
export async function imageRoutes(scope: FastifyInstance, routes: ImageRoutes): Promise<void> {
  const { images } = routes;

  scope.get("/v2/images", async (request) => {
    const params = queryOf(request);
    const result = await images.list(callerOf(request), parseListQuery(params));
    params.delete("marker");
    const query = params.toString();
    const body: Record<string, unknown> = {
      images: result.images.map(imageView),
      first: query ? `/v2/images?${query}` : "/v2/images",
      schema: "/v2/schemas/images",
    };
    if (result.nextMarker !== undefined) {
      params.append("marker", result.nextMarker);
      body.next = `/v2/images?${params.toString()}`;
    }
    return body;
  });

  scope.post("/v2/images", async (request, reply) => {
    const image = await images.create(callerOf(request), createSpec(request.body));
    void reply.code(201).header("Location", `${routes.imageUrl}${imageHref(image.id)}`);
    return imageView(image);
  });

  scope.get<{ Params: Params }>("/v2/images/:id", async (request) =>
    imageView(await images.get(callerOf(request), request.params.id)),
  );

  scope.patch<{ Params: Params }>("/v2/images/:id", {
    // the media type decides before the body is read, as Glance's deserializer does
    preParsing: async (request, _reply, payload) => {
      patchDraft(request.headers["content-type"]);
      return payload;
    },
    handler: async (request) => {
      const changes = parsePatch(request.body, patchDraft(request.headers["content-type"]));
      return imageView(await images.update(callerOf(request), request.params.id, changes));
    },
  });

  scope.delete<{ Params: Params }>("/v2/images/:id", async (request, reply) => {
    await images.delete(callerOf(request), request.params.id);
    return reply.code(204).send();
  });

  scope.put<{ Params: TagParams }>("/v2/images/:id/tags/:tag", async (request, reply) => {
    validateImage({ tags: [request.params.tag] });
    await images.addTag(callerOf(request), request.params.id, request.params.tag);
    return reply.code(204).send();
  });

  scope.delete<{ Params: TagParams }>("/v2/images/:id/tags/:tag", async (request, reply) => {
    await images.removeTag(callerOf(request), request.params.id, request.params.tag);
    return reply.code(204).send();
  });

  scope.post<{ Params: Params }>("/v2/images/:id/actions/deactivate", async (request, reply) => {
    await images.deactivate(callerOf(request), request.params.id);
    return reply.code(204).send();
  });

  scope.post<{ Params: Params }>("/v2/images/:id/actions/reactivate", async (request, reply) => {
    await images.reactivate(callerOf(request), request.params.id);
    return reply.code(204).send();
  });

  scope.get("/v2/schemas/image", async () => IMAGE_SCHEMA);
  scope.get("/v2/schemas/images", async () => IMAGES_SCHEMA);
}
