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
  let close: (() => Promise<void>) | undefined;

  async function open(options: Partial<ImageServiceOptions> = {}): Promise<void> {
    const t = await openImageTestService(options);
    images = t.images;
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
      headers: { accept: "application/json", "x-auth-token": "tok-alice", "content-type": "application/json" },
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
});
