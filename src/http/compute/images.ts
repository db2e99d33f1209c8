import type { AuthContext } from "../../services/context.js";
import { Forbidden, NotFound, QuotaExceeded } from "../../services/errors.js";
import type { Image } from "../../services/image/image.js";
import { MAX_LIMIT as GLANCE_MAX_LIMIT } from "../../services/image/image-query.js";
import type { ImageChange } from "../../services/image/image-rules.js";
import type { ImageService } from "../../services/image/image-service.js";
import type { QuotaService } from "../../services/quota/quota-service.js";
import { badRequest, forbidden, notFound } from "../faults.js";
import { lastValue, nextLinks, pageOf } from "./pagination.js";
import type { ComputeCall, RouteDef } from "./router.js";
import { imageBasicView, imageView } from "./views/images.js";

export interface ImageRouteDeps {
  images: ImageService;
  /** nova holds an image's metadata to the caller's metadata_items quota. */
  quotas: Pick<QuotaService, "checkMetadataItems">;
}

/** nova proxies Glance's images up to this microversion; from 2.36 the routes answer 404. */
const PROXY_MAX = "2.35";
/** Image metadata outlived the rest of the proxy by three microversions. */
const METADATA_MAX = "2.38";

/**
 * Every image Glance lists for the caller's token (its own, public, shared and community
 * as Glance decides), page by page: nova's filters are not all Glance's, so they apply here.
 */
async function visibleImages(images: ImageService, auth: AuthContext): Promise<Image[]> {
  const all: Image[] = [];
  let marker: string | undefined;
  for (;;) {
    const page = await images.list(auth, { limit: GLANCE_MAX_LIMIT, marker });
    all.push(...page.images);
    if (!page.nextMarker) return all;
    marker = page.nextMarker;
  }
}

const atLeast = (query: Record<string, string[]>, name: string): number | undefined => {
  const text = lastValue(query, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n)) throw badRequest(`Invalid ${name} filter [${text}]`);
  return n;
};

/**
 * nova's images.py filters, as its Glance client turns them into Glance's: name, status
 * (Glance's own, lowercase), changes-since (updated at or after), server (the snapshot's
 * instance_uuid property), type (the image_type property), minRam/minDisk (at least).
 */
function filterOf(query: Record<string, string[]>): (image: Image) => boolean {
  const name = lastValue(query, "name");
  const status = lastValue(query, "status")?.toLowerCase();
  const since = lastValue(query, "changes-since");
  const sinceMs = since === undefined ? undefined : Date.parse(since);
  if (sinceMs !== undefined && Number.isNaN(sinceMs)) throw badRequest(`Invalid changes-since value`);
  const server = lastValue(query, "server");
  const type = lastValue(query, "type");
  const minRam = atLeast(query, "minRam");
  const minDisk = atLeast(query, "minDisk");
  return (image) =>
    (name === undefined || image.name === name) &&
    (status === undefined || image.status === status) &&
    (sinceMs === undefined || Date.parse(image.updatedAt) >= sinceMs) &&
    (server === undefined || image.properties.instance_uuid === server) &&
    (type === undefined || image.properties.image_type === type) &&
    (minRam === undefined || image.minRam >= minRam) &&
    (minDisk === undefined || image.minDisk >= minDisk);
}

/** The filtered images after `marker`, at most `limit`; an unknown marker is nova's 400. */
async function listed(images: ImageService, call: ComputeCall) {
  const page = pageOf(call.query);
  let rows = (await visibleImages(images, call.auth)).filter(filterOf(call.query));
  if (page.marker !== undefined) {
    const at = rows.findIndex((image) => image.id === page.marker);
    if (at < 0) throw badRequest(`marker [${page.marker}] not found`);
    rows = rows.slice(at + 1);
  }
  return { page, rows: rows.slice(0, page.limit) };
}

/** A Glance image the caller can see, or nova's 404. */
async function shown(images: ImageService, auth: AuthContext, id: string): Promise<Image> {
  try {
    return await images.get(auth, id);
  } catch (e) {
    if (e instanceof NotFound) throw notFound("Image not found.");
    throw e;
  }
}

/** GET /images, /images/detail, /images/{id}; DELETE /images/{id}: nova's Glance proxy. */
export function imageRoutes(deps: ImageRouteDeps): RouteDef[] {
  const { images } = deps;
  return [
    {
      method: "GET",
      path: "/images",
      max: PROXY_MAX,
      status: 200,
      handler: async (call) => {
        const { page, rows } = await listed(images, call);
        const body: Record<string, unknown> = { images: rows.map((i) => imageBasicView(i, call.links)) };
        const next = nextLinks(call, "images", page, rows, (i) => i.id);
        if (next) body.images_links = next;
        return body;
      },
    },
    {
      method: "GET",
      path: "/images/detail",
      max: PROXY_MAX,
      status: 200,
      handler: async (call) => {
        const { page, rows } = await listed(images, call);
        const body: Record<string, unknown> = { images: rows.map((i) => imageView(i, call.links)) };
        const next = nextLinks(call, "images/detail", page, rows, (i) => i.id);
        if (next) body.images_links = next;
        return body;
      },
    },
    {
      method: "GET",
      path: "/images/{id}",
      max: PROXY_MAX,
      status: 200,
      handler: async (call) => ({
        image: imageView(await shown(images, call.auth, call.params.id!), call.links),
      }),
    },
    {
      method: "DELETE",
      path: "/images/{id}",
      max: PROXY_MAX,
      status: 204,
      handler: async (call) => {
        try {
          await images.delete(call.auth, call.params.id!);
        } catch (e) {
          if (e instanceof NotFound) throw notFound("Image not found.");
          if (e instanceof Forbidden) throw forbidden("You are not allowed to delete the image.");
          throw e;
        }
      },
    },
  ];
}

/**
 * nova's image_metadata.py: an image's custom properties as `metadata`, read from and written
 * back to Glance with the caller's token (every write replaces the whole set, as nova's
 * purge_props update does).
 */
export function imageMetadataRoutes(deps: ImageRouteDeps): RouteDef[] {
  const { images, quotas } = deps;
  const path = "/images/{image_id}/metadata";
  const imageOf = (call: ComputeCall) => shown(images, call.auth, call.params.image_id!);

  /** nova's check_img_metadata_properties_quota: the whole set against metadata_items (403). */
  const checkQuota = async (call: ComputeCall, metadata: Record<string, unknown>) => {
    if (Object.keys(metadata).length === 0) return;
    const projectId = call.auth.projectId ?? "";
    await quotas
      .checkMetadataItems(projectId, Object.keys(metadata).length, call.auth.userId)
      .catch((e: unknown) => {
        if (e instanceof QuotaExceeded) throw forbidden("Image metadata limit exceeded");
        throw e;
      });
  };

  /** Writes `metadata` as the image's whole set of properties; Glance's refusal is nova's 403. */
  const save = async (call: ComputeCall, image: Image, metadata: Record<string, string | null>) => {
    await checkQuota(call, metadata);
    const changes: ImageChange[] = [
      ...Object.entries(metadata).map(([key, value]): ImageChange => ({ op: "add", path: key, value })),
      ...Object.keys(image.properties)
        .filter((key) => !Object.hasOwn(metadata, key))
        .map((key): ImageChange => ({ op: "remove", path: key })),
    ];
    try {
      return (await images.update(call.auth, image.id, changes)).properties;
    } catch (e) {
      if (e instanceof Forbidden) throw forbidden(`Not authorized for image ${image.id}.`);
      if (e instanceof NotFound) throw notFound("Image not found.");
      throw e;
    }
  };

  return [
    {
      method: "GET",
      path,
      max: METADATA_MAX,
      status: 200,
      handler: async (call) => ({ metadata: (await imageOf(call)).properties }),
    },
    {
      method: "POST",
      path,
      max: METADATA_MAX,
      status: 200,
      handler: async (call) => {
        const image = await imageOf(call);
        const merged = { ...image.properties, ...(call.body.metadata as Record<string, string>) };
        return { metadata: await save(call, image, merged) };
      },
    },
    {
      method: "PUT",
      path,
      max: METADATA_MAX,
      status: 200,
      handler: async (call) => {
        const metadata = call.body.metadata as Record<string, string>;
        await save(call, await imageOf(call), metadata);
        return { metadata };
      },
    },
    {
      method: "GET",
      path: `${path}/{id}`,
      max: METADATA_MAX,
      status: 200,
      handler: async (call) => {
        const properties = (await imageOf(call)).properties;
        const key = call.params.id!;
        // nova's bare HTTPNotFound: webob's own explanation
        if (!Object.hasOwn(properties, key)) throw notFound("The resource could not be found.");
        return { meta: { [key]: properties[key] } };
      },
    },
    {
      method: "PUT",
      path: `${path}/{id}`,
      max: METADATA_MAX,
      status: 200,
      handler: async (call) => {
        const key = call.params.id!;
        const meta = call.body.meta as Record<string, string>;
        if (!Object.hasOwn(meta, key)) throw badRequest("Request body and URI mismatch");
        const image = await imageOf(call);
        await save(call, image, { ...image.properties, [key]: meta[key]! });
        return { meta };
      },
    },
    {
      method: "DELETE",
      path: `${path}/{id}`,
      max: METADATA_MAX,
      status: 204,
      handler: async (call) => {
        const image = await imageOf(call);
        const key = call.params.id!;
        if (!Object.hasOwn(image.properties, key)) throw notFound("Invalid metadata key");
        const { [key]: _dropped, ...rest } = image.properties;
        await save(call, image, rest);
      },
    },
  ];
}
