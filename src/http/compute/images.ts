import type { AuthContext } from "../../services/context.js";
import { Forbidden, NotFound } from "../../services/errors.js";
import type { Image } from "../../services/image/image.js";
import { MAX_LIMIT as GLANCE_MAX_LIMIT } from "../../services/image/image-query.js";
import type { ImageService } from "../../services/image/image-service.js";
import { badRequest, forbidden, notFound } from "../faults.js";
import { lastValue, nextLinks, pageOf } from "./pagination.js";
import type { ComputeCall, RouteDef } from "./router.js";
import { imageBasicView, imageView } from "./views/images.js";

export interface ImageRouteDeps {
  images: ImageService;
}

/** nova proxies Glance's images up to this microversion; from 2.36 the routes answer 404. */
const PROXY_MAX = "2.35";

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
