import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { defaultConfig } from "../../config.js";
import type { AuthContext } from "../../services/context.js";
import type { ImageService, ImageServiceOptions } from "../../services/image/image-service.js";
import { ALICE, BOB, openImageTestService } from "../../services/image/testing.js";
import { createHttpServer } from "../app.js";
import { registerImage } from "./router.js";

const TOKENS: Record<string, AuthContext> = { "tok-alice": ALICE, "tok-bob": BOB };
const PATCH_TYPE = "application/openstack-images-v2.1-json-patch";
const MiB = 1024 * 1024;

/** The bounds of Glance's image API: integers that must fit its columns, quotas, free disk. */
describe("Glance limits under /image", () => {
  let app: FastifyInstance;
  let images: ImageService;
  let dataDir: string;
  let close: (() => Promise<void>) | undefined;

  async function open(options: Partial<ImageServiceOptions> = {}): Promise<void> {
    const t = await openImageTestService(options);
    images = t.images;
    dataDir = t.dataDir;
    close = t.close;
    const config = defaultConfig({ dataDir: t.dataDir, logLevel: "silent" });
    app = createHttpServer(config);
    await registerImage(app, { images, authenticate: async (token) => TOKENS[token], config });
    await app.ready();
  }
  afterEach(async () => {
    await app?.close();
    await close?.();
    close = undefined;
  });

  function call(
    method: InjectOptions["method"],
    url: string,
    options: { token?: string; json?: unknown; headers?: Record<string, string>; body?: Buffer } = {},
  ): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = {
      accept: "application/json",
      "x-auth-token": options.token ?? "tok-alice",
      ...options.headers,
    };
    let payload: Buffer | string | undefined = options.body;
    if (options.json !== undefined) {
      payload = JSON.stringify(options.json);
      headers["content-type"] ??= "application/json";
    }
    return app.inject({ method, url, headers, payload });
  }

  /** A raw JSON body, so that numbers keep the spelling a client sent (1e30, 2^63). */
  function postRaw(text: string): Promise<LightMyRequestResponse> {
    return app.inject({
      method: "POST",
      url: "/image/v2/images",
      headers: {
        accept: "application/json",
        "x-auth-token": "tok-alice",
        "content-type": "application/json",
      },
      payload: text,
    });
  }

  async function queuedImage(token = "tok-alice"): Promise<string> {
    const res = await call("POST", "/image/v2/images", {
      token,
      json: { disk_format: "raw", container_format: "bare" },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  }

  function upload(id: string, data: Buffer, token = "tok-alice"): Promise<LightMyRequestResponse> {
    return call("PUT", `/image/v2/images/${id}/file`, {
      token,
      headers: { "content-type": "application/octet-stream" },
      body: data,
    });
  }

  /** A chunked upload: a stream with no Content-Length, in chunks of `chunk` bytes. */
  function uploadChunked(id: string, total: number, chunk: number): Promise<LightMyRequestResponse> {
    const chunks = Array.from({ length: Math.ceil(total / chunk) }, () => Buffer.alloc(chunk, 7));
    return app.inject({
      method: "PUT",
      url: `/image/v2/images/${id}/file`,
      headers: {
        accept: "application/json",
        "x-auth-token": "tok-alice",
        "content-type": "application/octet-stream",
      },
      payload: Readable.from(chunks),
    });
  }

  /** The files in the image data directory: committed data and any partial uploads. */
  function dataFiles(): string[] {
    const dir = path.join(dataDir, "images");
    return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  }

  async function expectQueued(id: string): Promise<void> {
    const image = (await call("GET", `/image/v2/images/${id}`)).json();
    expect(image).toMatchObject({ status: "queued", size: null, checksum: null });
    expect(dataFiles()).not.toContainEqual(expect.stringContaining(id));
  }

  function messageOf(res: LightMyRequestResponse): string {
    return (res.json().message as string).replace(/<br \/><br \/>\n\n\n$/, "");
  }

  describe("integers that reach a column", () => {
    it("refuses min_disk and min_ram past 2^31-1 on create with Glance's 400", async () => {
      await open();
      for (const [field, spelled] of [
        ["min_disk", "1e30"],
        ["min_disk", "2147483648"],
        ["min_ram", String(2 ** 32)],
        ["min_ram", String(2 ** 53)],
        ["min_ram", "9223372036854775808"],
      ]) {
        const res = await postRaw(`{"name": "big", "${field}": ${spelled}}`);
        expect(res.statusCode, `${field}=${spelled}: ${res.body}`).toBe(400);
        expect(messageOf(res)).toBe(`'${field}' value out of range, must not exceed 2147483647.`);
      }
      const list = await call("GET", "/image/v2/images?name=big");
      expect(list.json().images).toEqual([]);
      const edge = await postRaw('{"name": "edge", "min_disk": 2147483647, "min_ram": 2147483647}');
      expect(edge.statusCode, edge.body).toBe(201);
      expect(edge.json()).toMatchObject({ min_disk: 2147483647, min_ram: 2147483647 });
    });

    it("refuses them on PATCH replace and add, and leaves the image as it was", async () => {
      await open();
      const id = await queuedImage();
      for (const [op, path, value] of [
        ["replace", "/min_ram", 2 ** 32],
        ["add", "/min_disk", 1e30],
        ["replace", "/min_disk", 2 ** 63],
      ] as const) {
        const res = await call("PATCH", `/image/v2/images/${id}`, {
          json: [{ op, path, value }],
          headers: { "content-type": PATCH_TYPE },
        });
        expect(res.statusCode, `${op} ${path}: ${res.body}`).toBe(400);
        expect(messageOf(res)).toBe(`'${path.slice(1)}' value out of range, must not exceed 2147483647.`);
      }
      const image = (await call("GET", `/image/v2/images/${id}`)).json();
      expect(image).toMatchObject({ min_disk: 0, min_ram: 0 });
    });

    it("stores no virtual size when a qcow2 header claims one past 2^53 bytes", async () => {
      await open();
      const res = await call("POST", "/image/v2/images", {
        json: { disk_format: "qcow2", container_format: "bare" },
      });
      const id = res.json().id as string;
      const header = Buffer.alloc(64);
      header.writeUInt32BE(0x514649fb, 0);
      header.writeBigUInt64BE(0xffffffffffffffffn, 24);
      const put = await upload(id, header);
      expect(put.statusCode, put.body).toBe(204);
      expect((await call("GET", `/image/v2/images/${id}`)).json()).toMatchObject({
        status: "active",
        size: 64,
        virtual_size: null,
      });
    });

    it("answers huge numbers in list parameters without reaching the store", async () => {
      await open();
      for (const query of [
        "limit=99999999999999999999999",
        "size_min=99999999999999999999999",
        "size_max=-99999999999999999999999",
        "min_ram=9223372036854775808",
        "size=1e30",
      ]) {
        const res = await call("GET", `/image/v2/images?${query}`);
        expect(res.statusCode, `${query}: ${res.body}`).toBe(200);
      }
    });
  });

  describe("image quotas", () => {
    const overLimit = (resource: string, limit: number, usage: number, delta: number) =>
      "The request returned a 413 Request Entity Too Large. This generally means that rate limiting or a quota threshold was breached.\n\n" +
      `The response body:\nProject ${ALICE.projectId} is over a limit for [Resource ${resource} is over limit of ${limit} due to current usage ${usage} and delta ${delta}]`;

    it("refuses an image past image_count_total with 413, per project", async () => {
      await open({ limits: { imageSizeTotalMiB: -1, imageCountTotal: 2 } });
      const first = await queuedImage();
      await queuedImage();
      const third = await call("POST", "/image/v2/images", { json: { name: "third" } });
      expect(third.statusCode, third.body).toBe(413);
      expect(messageOf(third)).toBe(overLimit("image_count_total", 2, 2, 1));
      expect((await call("GET", "/image/v2/images?name=third")).json().images).toEqual([]);
      await queuedImage("tok-bob");
      expect((await call("DELETE", `/image/v2/images/${first}`)).statusCode).toBe(204);
      await queuedImage();
    });

    it("refuses an upload whose Content-Length passes image_size_total before reading it", async () => {
      await open({ limits: { imageSizeTotalMiB: 1, imageCountTotal: -1 } });
      const id = await queuedImage();
      const res = await upload(id, Buffer.alloc(2 * MiB, 1));
      expect(res.statusCode, res.body).toBe(413);
      expect(messageOf(res)).toBe(overLimit("image_size_total", 1, 0, 2));
      await expectQueued(id);
    });

    it("cuts off data that streams past the remaining quota, and leaves the image queued", async () => {
      await open({ limits: { imageSizeTotalMiB: 1, imageCountTotal: -1 } });
      const kept = await queuedImage();
      expect((await upload(kept, Buffer.alloc(600 * 1024, 1))).statusCode).toBe(204);
      const remaining = MiB - 600 * 1024;

      // declared: under 1 MiB passes Glance's whole-MiB check, then the data itself does not fit
      const declared = await queuedImage();
      const res = await upload(declared, Buffer.alloc(600 * 1024, 2));
      expect(res.statusCode, res.body).toBe(413);
      expect(messageOf(res)).toBe(
        `Image exceeds the storage quota: The size of the data ${600 * 1024} will exceed the limit. ${remaining} bytes remaining.`,
      );
      await expectQueued(declared);

      // chunked: no size at all, cut off at the first chunk past the quota
      const chunked = await queuedImage();
      const cut = await uploadChunked(chunked, 2 * MiB, 64 * 1024);
      expect(cut.statusCode, cut.body).toBe(413);
      expect(messageOf(cut)).toMatch(/^Image exceeds the storage quota: .* \d+ bytes remaining\.$/);
      await expectQueued(chunked);
      expect(dataFiles()).toEqual([kept]);

      // what fits still goes in
      expect((await upload(chunked, Buffer.alloc(remaining, 3))).statusCode).toBe(204);
    });

    it("lets only one of two uploads that fit alone but not together become active", async () => {
      await open({ limits: { imageSizeTotalMiB: 1, imageCountTotal: -1 } });
      const ids = [await queuedImage(), await queuedImage()];
      const results = await Promise.all(ids.map((id) => upload(id, Buffer.alloc(600 * 1024, 4))));
      expect(results.map((r) => r.statusCode).sort()).toEqual([204, 413]);
      const statuses = await Promise.all(
        ids.map(async (id) => (await call("GET", `/image/v2/images/${id}`)).json().status),
      );
      expect(statuses.sort()).toEqual(["active", "queued"]);
      expect(dataFiles()).toHaveLength(1);
    });
  });

  describe("free disk", () => {
    const FULL = "Image storage media is full: There is not enough disk space on the image storage media.";

    it("refuses an upload that would leave less than the reserve free, declared or chunked", async () => {
      await open({ freeDiskReserveBytes: 2 ** 60 });
      const id = await queuedImage();
      const res = await upload(id, Buffer.from("ten bytes!"));
      expect(res.statusCode, res.body).toBe(413);
      expect(messageOf(res)).toBe(FULL);
      await expectQueued(id);

      const chunked = await uploadChunked(id, 256 * 1024, 64 * 1024);
      expect(chunked.statusCode, chunked.body).toBe(413);
      expect(messageOf(chunked)).toBe(FULL);
      await expectQueued(id);
      expect(dataFiles()).toEqual([]);
    });

    it("accepts uploads while the disk keeps its reserve", async () => {
      await open({ freeDiskReserveBytes: 1024 });
      const id = await queuedImage();
      expect((await uploadChunked(id, 256 * 1024, 64 * 1024)).statusCode).toBe(204);
      expect((await call("GET", `/image/v2/images/${id}`)).json()).toMatchObject({
        status: "active",
        size: 256 * 1024,
      });
    });
  });
});
