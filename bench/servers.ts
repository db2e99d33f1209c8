import { setTimeout as sleep } from "node:timers/promises";
import type { Session } from "./client.js";

/** What every benchmark server is booted from. */
export interface BootSpec {
  imageRef: string;
  imageName: string;
  flavorRef: string;
  flavorName: string;
  flavor: { vcpus: number; ram: number };
  /** "none" (no port at all, the lightest boot) or the networks to attach to. */
  networks: "none" | Array<{ uuid: string }>;
}

export interface BootChoice {
  flavor?: string;
  image?: string;
  network?: string;
}

interface Image {
  id: string;
  name: string | null;
  status: string;
  size?: number | null;
  min_disk?: number;
  min_ram?: number;
}

interface Flavor {
  id: string;
  name: string;
  ram: number;
  vcpus: number;
  disk: number;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

function imagesPath(session: Session): string {
  return /\/v2$/.test(session.endpoint("image")) ? "/images" : "/v2/images";
}

async function pickImage(session: Session, wanted?: string): Promise<Image> {
  const { images } = await session.service<{ images: Image[] }>(
    "image",
    "GET",
    `${imagesPath(session)}?status=active&limit=200`,
  );
  const active = images.filter((i) => i.status === "active");
  if (wanted) {
    const found = active.find((i) => i.id === wanted || i.name === wanted);
    if (!found) throw new Error(`no active image with id or name '${wanted}'`);
    return found;
  }
  // The smallest active image is the cheapest to boot (usually CirrOS).
  const [smallest] = [...active].sort(
    (a, b) => (a.size ?? Number.MAX_SAFE_INTEGER) - (b.size ?? Number.MAX_SAFE_INTEGER),
  );
  if (!smallest) throw new Error("the image service lists no active image");
  return smallest;
}

async function pickFlavor(session: Session, image: Image, wanted?: string): Promise<Flavor> {
  const { body } = await session.compute<{ flavors: Flavor[] }>("GET", "/flavors/detail");
  if (wanted) {
    const found = body.flavors.find((f) => f.id === wanted || f.name === wanted);
    if (!found) throw new Error(`no flavor with id or name '${wanted}'`);
    return found;
  }
  const fits = body.flavors.filter(
    (f) => (f.disk === 0 || f.disk >= (image.min_disk ?? 0)) && f.ram >= (image.min_ram ?? 0),
  );
  const [smallest] = fits.sort((a, b) => a.ram - b.ram || a.vcpus - b.vcpus || a.disk - b.disk);
  if (!smallest) throw new Error(`no flavor fits image ${image.name ?? image.id}`);
  return smallest;
}

async function pickNetwork(session: Session, wanted?: string): Promise<BootSpec["networks"]> {
  if (!wanted || wanted === "none") return "none";
  if (UUID.test(wanted)) return [{ uuid: wanted }];
  if (!session.hasService("network"))
    throw new Error(`--network ${wanted}: the catalog has no network service`);
  const { networks } = await session.service<{ networks: Array<{ id: string }> }>(
    "network",
    "GET",
    `/v2.0/networks?name=${encodeURIComponent(wanted)}`,
  );
  if (networks.length !== 1)
    throw new Error(`--network ${wanted}: ${networks.length} networks have that name`);
  return [{ uuid: networks[0]!.id }];
}

/**
 * The image, flavor and network servers are booted with: the given ones, or else the
 * smallest active image, the smallest flavor that fits it, and no network.
 */
export async function resolveBootSpec(session: Session, choice: BootChoice): Promise<BootSpec> {
  const image = await pickImage(session, choice.image);
  const flavor = await pickFlavor(session, image, choice.flavor);
  return {
    imageRef: image.id,
    imageName: image.name ?? image.id,
    flavorRef: flavor.id,
    flavorName: flavor.name,
    flavor: { vcpus: flavor.vcpus, ram: flavor.ram },
    networks: await pickNetwork(session, choice.network),
  };
}

/** How a wait polls: the first interval, growing by half each time up to `maxMs`, for at most `timeoutMs`. */
export interface PollPolicy {
  firstMs: number;
  maxMs: number;
  timeoutMs: number;
}

/** A server that went to ERROR, or did not reach the wanted state in time. */
export class ServerWaitError extends Error {
  constructor(
    readonly serverId: string,
    readonly reason: "error" | "timeout",
    detail: string,
  ) {
    super(`server ${serverId}: ${detail}`);
    this.name = "ServerWaitError";
  }
}

export async function bootServer(
  session: Session,
  spec: BootSpec,
  name: string,
  count = 1,
): Promise<{ id: string }> {
  const server: Record<string, unknown> = {
    name,
    imageRef: spec.imageRef,
    flavorRef: spec.flavorRef,
    networks: spec.networks,
  };
  if (count > 1) {
    server.min_count = count;
    server.max_count = count;
  }
  const { body } = await session.compute<{ server: { id: string } }>("POST", "/servers", { server }, [202]);
  return { id: body.server.id };
}

/** Polls `GET /servers/{id}` until ACTIVE; ERROR or the time limit throw {@link ServerWaitError}. */
export async function waitActive(session: Session, id: string, poll: PollPolicy): Promise<void> {
  const start = performance.now();
  let interval = poll.firstMs;
  let last = "unknown";
  for (;;) {
    const { status, body } = await session.compute<{
      server: { status: string; fault?: { message?: string } };
    }>("GET", `/servers/${id}`, undefined, [200, 404]);
    if (status === 200) {
      last = body.server.status;
      if (last === "ACTIVE") return;
      if (last === "ERROR")
        throw new ServerWaitError(id, "error", `ERROR: ${body.server.fault?.message ?? "no fault"}`);
    }
    if (performance.now() - start > poll.timeoutMs)
      throw new ServerWaitError(id, "timeout", `still ${last} after ${poll.timeoutMs} ms`);
    await sleep(interval);
    interval = Math.min(poll.maxMs, interval * 1.5);
  }
}

/** Polls `GET /servers/{id}` until 404 (or DELETED, which an admin may briefly see). */
export async function waitGone(session: Session, id: string, poll: PollPolicy): Promise<void> {
  const start = performance.now();
  let interval = poll.firstMs;
  let last = "unknown";
  for (;;) {
    const { status, body } = await session.compute<{ server: { status: string } }>(
      "GET",
      `/servers/${id}`,
      undefined,
      [200, 404],
    );
    if (status === 404 || body.server.status === "DELETED") return;
    last = body.server.status;
    if (performance.now() - start > poll.timeoutMs)
      throw new ServerWaitError(id, "timeout", `still ${last} ${poll.timeoutMs} ms after DELETE`);
    await sleep(interval);
    interval = Math.min(poll.maxMs, interval * 1.5);
  }
}

export async function deleteServer(session: Session, id: string): Promise<void> {
  await session.compute("DELETE", `/servers/${id}`, undefined, [204, 404]);
}

/**
 * Every server of the project, following `servers_links` pages of `limit`; bounded by
 * `maxPages` so a misbehaving `next` link cannot loop forever.
 */
export async function listAllServers(
  session: Session,
  query = "",
  limit = 1000,
  maxPages = 1000,
): Promise<Array<{ id: string; name: string }>> {
  const out: Array<{ id: string; name: string }> = [];
  let marker: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const params = new URLSearchParams(query);
    params.set("limit", String(limit));
    if (marker) params.set("marker", marker);
    const { body } = await session.compute<{
      servers: Array<{ id: string; name: string }>;
      servers_links?: Array<{ rel: string }>;
    }>("GET", `/servers?${params}`);
    out.push(...body.servers);
    const next = body.servers_links?.some((l) => l.rel === "next");
    if (!next || body.servers.length === 0) return out;
    marker = body.servers.at(-1)!.id;
  }
  throw new Error(`listing servers: more than ${maxPages} pages of ${limit}`);
}
