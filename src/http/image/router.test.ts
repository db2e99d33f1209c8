import { createHash } from "node:crypto";
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultConfig } from "../../config.js";
import type { AuthContext } from "../../services/context.js";
import { BOOTSTRAP_IMAGE_NAME } from "../../services/image/bootstrap-image.js";
import type { ImageService } from "../../services/image/image-service.js";
import {
  ADMIN,
  ALICE,
  BOB,
  openImageTestService,
  PROJECT_A,
  READER_A,
} from "../../services/image/testing.js";
import { createHttpServer } from "../app.js";
import { registerImage } from "./router.js";

const PUBLIC_URL = "http://cloud.test:8774";
const TOKENS: Record<string, AuthContext> = {
  "tok-alice": ALICE,
  "tok-bob": BOB,
  "tok-admin": ADMIN,
  "tok-reader": READER_A,
};
const PATCH_TYPE = "application/openstack-images-v2.1-json-patch";
const md5 = (data: Buffer) => createHash("md5").update(data).digest("hex");
const sha512 = (data: Buffer) => createHash("sha512").update(data).digest("hex");

describe("Glance v2 under /image", () => {
  let app: FastifyInstance;
  let images: ImageService;
  let close: () => Promise<void>;

  beforeEach(async () => {
    const t = await openImageTestService({ maxImageBytes: 1024 * 1024 });
    images = t.images;
    close = t.close;
    const config = defaultConfig({ dataDir: t.dataDir, logLevel: "silent", publicUrl: PUBLIC_URL });
    app = createHttpServer(config);
    await registerImage(app, { images, authenticate: async (token) => TOKENS[token], config });
    await app.ready();
  });
  afterEach(async () => {
    await app.close();
    await close();
  });

  /** A JSON request as openstacksdk sends it (Accept: application/json) with a caller's token. */
  function call(
    method: InjectOptions["method"],
    url: string,
    options: {
      token?: string;
      json?: unknown;
      headers?: Record<string, string>;
      body?: Buffer | string;
    } = {},
  ): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    if (options.token !== undefined) headers["x-auth-token"] = options.token;
    let payload: Buffer | string | undefined = options.body;
    if (options.json !== undefined) {
      payload = JSON.stringify(options.json);
      headers["content-type"] ??= "application/json";
    }
    return app.inject({ method, url, headers, payload });
  }

  async function createImage(token: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const res = await call("POST", "/image/v2/images", { token, json: body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  }

  describe("version discovery", () => {
    it("answers 300 at /image and 200 at /image/versions, without a token", async () => {
      for (const [url, status] of [
        ["/image", 300],
        ["/image/", 300],
        ["/image/versions", 200],
      ] as const) {
        const res = await app.inject({ method: "GET", url });
        expect(res.statusCode).toBe(status);
        const { versions } = res.json();
        expect(versions.find((v: { status: string }) => v.status === "CURRENT")).toEqual({
          id: "v2.17",
          status: "CURRENT",
          links: [{ rel: "self", href: `${PUBLIC_URL}/image/v2/` }],
        });
        expect(versions.map((v: { id: string }) => v.id)).toContain("v2.0");
      }
    });
  });

  describe("authentication and errors", () => {
    it("refuses a missing or unknown token with keystonemiddleware's 401", async () => {
      for (const token of [undefined, "bogus"]) {
        const res = await call("GET", "/image/v2/images", { token });
        expect(res.statusCode).toBe(401);
        expect(res.headers["www-authenticate"]).toBe(`Keystone uri="${PUBLIC_URL}/identity"`);
        expect(res.json()).toEqual({
          error: {
            code: 401,
            title: "Unauthorized",
            message: "The request you have made requires authentication.",
          },
        });
      }
    });

    it("sends x-openstack-request-id, not nova's header", async () => {
      const res = await call("GET", "/image/v2/images", { token: "tok-alice" });
      expect(res.headers["x-openstack-request-id"]).toMatch(/^req-[0-9a-f-]{36}$/);
      expect(res.headers["x-compute-request-id"]).toBeUndefined();
    });

    it("renders errors as webob does, by the Accept header", async () => {
      const url = "/image/v2/images/00000000-0000-4000-8000-000000000000";
      const json = await call("GET", url, { token: "tok-alice" });
      expect(json.statusCode).toBe(404);
      expect(json.headers["content-type"]).toMatch(/^application\/json/);
      expect(json.json()).toEqual({
        message: "No image found with ID 00000000-0000-4000-8000-000000000000<br /><br />\n\n\n",
        code: "404 Not Found",
        title: "Not Found",
      });
      const html = await call("GET", url, { token: "tok-alice", headers: { accept: "*/*" } });
      expect(html.headers["content-type"]).toMatch(/^text\/html/);
      expect(html.body).toContain("<title>404 Not Found</title>");
      expect(html.body).toContain("No image found with ID 00000000-0000-4000-8000-000000000000<br /><br />");
      const plain = await call("GET", url, { token: "tok-alice", headers: { accept: "" } });
      expect(plain.headers["content-type"]).toMatch(/^text\/plain/);
      expect(plain.body).toBe(
        "404 Not Found\n\nNo image found with ID 00000000-0000-4000-8000-000000000000\n\n   ",
      );
      const unknown = await call("GET", "/image/v2/nothing-here", { token: "tok-alice" });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().title).toBe("Not Found");
    });

    it("refuses bad JSON and bad bodies with 400", async () => {
      const bad = await call("POST", "/image/v2/images", {
        token: "tok-alice",
        body: "{nope",
        headers: { "content-type": "application/json" },
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toContain("Malformed JSON in request body.");
      const empty = await call("POST", "/image/v2/images", { token: "tok-alice" });
      expect(empty.statusCode).toBe(400);
      expect(empty.json().message).toContain("Body expected in request.");
      const format = await call("POST", "/image/v2/images", {
        token: "tok-alice",
        json: { disk_format: "floppy" },
      });
      expect(format.statusCode).toBe(400);
      expect(format.json().message).toMatch(
        /^Provided object does not match schema 'image': 'floppy' is not one of/,
      );
      const prop = await call("POST", "/image/v2/images", { token: "tok-alice", json: { extra: 5 } });
      expect(prop.statusCode).toBe(400);
      const readonly = await call("POST", "/image/v2/images", {
        token: "tok-alice",
        json: { status: "active" },
      });
      expect(readonly.statusCode).toBe(403);
      expect(readonly.json().message).toContain("Attribute 'status' is read-only.");
      const reserved = await call("POST", "/image/v2/images", {
        token: "tok-alice",
        json: { os_glance_x: "1" },
      });
      expect(reserved.statusCode).toBe(403);
    });
  });

  describe("images", () => {
    it("creates, uploads, shows and downloads an image with its checksums", async () => {
      const created = await createImage("tok-alice", {
        name: "round-trip",
        disk_format: "raw",
        container_format: "bare",
        tags: ["t1"],
        hw_disk_bus: "virtio",
        "owner_specified.openstack.md5": "",
      });
      expect(created).toMatchObject({
        name: "round-trip",
        status: "queued",
        visibility: "shared",
        owner: PROJECT_A,
        protected: false,
        os_hidden: false,
        size: null,
        checksum: null,
        tags: ["t1"],
        hw_disk_bus: "virtio",
        "owner_specified.openstack.md5": "",
        self: `/v2/images/${created.id}`,
        file: `/v2/images/${created.id}/file`,
        schema: "/v2/schemas/image",
      });
      expect(created.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);

      const data = Buffer.from("a disk image's bytes\n".repeat(1000));
      const upload = await call("PUT", `/image/v2/images/${created.id}/file`, {
        token: "tok-alice",
        body: data,
        headers: {
          "content-type": "application/octet-stream",
          "x-openstack-image-size": String(data.length),
          accept: "",
        },
      });
      expect(upload.statusCode, upload.body).toBe(204);

      const shown = (await call("GET", `/image/v2/images/${created.id}`, { token: "tok-alice" })).json();
      expect(shown).toMatchObject({
        status: "active",
        size: data.length,
        virtual_size: data.length,
        checksum: md5(data),
        os_hash_algo: "sha512",
        os_hash_value: sha512(data),
      });

      const download = await call("GET", `/image/v2/images/${created.id}/file`, { token: "tok-alice" });
      expect(download.statusCode).toBe(200);
      expect(download.headers["content-type"]).toBe("application/octet-stream");
      expect(download.headers["content-md5"]).toBe(md5(data));
      expect(download.headers["content-length"]).toBe(String(data.length));
      expect(download.rawPayload).toEqual(data);

      const part = await call("GET", `/image/v2/images/${created.id}/file`, {
        token: "tok-alice",
        headers: { range: "bytes=2-5" },
      });
      expect(part.statusCode).toBe(206);
      expect(part.headers["content-range"]).toBe(`bytes 2-5/${data.length}`);
      expect(part.rawPayload).toEqual(data.subarray(2, 6));
      const beyond = await call("GET", `/image/v2/images/${created.id}/file`, {
        token: "tok-alice",
        headers: { range: `bytes=${data.length}-` },
      });
      expect(beyond.statusCode).toBe(416);
    });

    it("answers 201 with a Location and takes the client's id", async () => {
      const id = "c0ffee00-0000-4000-8000-000000000001";
      const res = await call("POST", "/image/v2/images", { token: "tok-alice", json: { id, name: "mine" } });
      expect(res.statusCode).toBe(201);
      expect(res.headers.location).toBe(`${PUBLIC_URL}/image/v2/images/${id}`);
      expect(res.json().id).toBe(id);
      const again = await call("POST", "/image/v2/images", { token: "tok-alice", json: { id } });
      expect(again.statusCode).toBe(409);
      expect(again.json()).toMatchObject({ code: "409 Conflict", title: "Conflict" });
    });

    it("refuses a second upload with 409, a wrong media type with 415, no data with 204", async () => {
      const image = await createImage("tok-alice", { disk_format: "qcow2", container_format: "bare" });
      const url = `/image/v2/images/${image.id}/file`;
      const empty = await call("GET", url, { token: "tok-alice" });
      expect(empty.statusCode).toBe(204);
      expect(empty.body).toBe("");
      const wrongType = await call("PUT", url, {
        token: "tok-alice",
        body: "{}",
        headers: { "content-type": "application/json" },
      });
      expect(wrongType.statusCode).toBe(415);
      const octet = { "content-type": "application/octet-stream" };
      expect((await call("PUT", url, { token: "tok-alice", body: "data", headers: octet })).statusCode).toBe(
        204,
      );
      const twice = await call("PUT", url, { token: "tok-alice", body: "more", headers: octet });
      expect(twice.statusCode).toBe(409);
      expect(twice.json()).toEqual({
        message: "Image status transition from active to saving is not allowed<br /><br />\n\n\n",
        code: "409 Conflict",
        title: "Conflict",
      });
      const badSize = await createImage("tok-alice", { disk_format: "raw", container_format: "bare" });
      const mismatch = await call("PUT", `/image/v2/images/${badSize.id}/file`, {
        token: "tok-alice",
        body: "four",
        headers: { ...octet, "x-openstack-image-size": "5" },
      });
      expect(mismatch.statusCode).toBe(400);
      const tooBig = await call("PUT", `/image/v2/images/${badSize.id}/file`, {
        token: "tok-alice",
        body: Buffer.alloc(1024 * 1024 + 1),
        headers: octet,
      });
      expect(tooBig.statusCode).toBe(413);
      expect((await images.get(ALICE, badSize.id as string)).status).toBe("queued");
    });

    it("applies JSON-patch changes and refuses other media types", async () => {
      const image = await createImage("tok-alice", {
        name: "old",
        disk_format: "raw",
        container_format: "bare",
      });
      const url = `/image/v2/images/${image.id}`;
      const patch = (ops: unknown, type = PATCH_TYPE, token = "tok-alice") =>
        call("PATCH", url, { token, body: JSON.stringify(ops), headers: { "content-type": type } });

      const res = await patch([
        { op: "replace", path: "/name", value: "new" },
        { op: "add", path: "/os_distro", value: "cirros" },
        { op: "add", path: "/tags", value: ["x", "y"] },
        { op: "replace", path: "/min_disk", value: 1 },
        { op: "add", path: "/protected", value: true },
        { op: "replace", path: "/container_format", value: "ovf" },
      ]);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({
        name: "new",
        os_distro: "cirros",
        tags: ["x", "y"],
        min_disk: 1,
        protected: true,
        container_format: "ovf",
      });
      const removed = await patch([{ op: "remove", path: "/os_distro" }]);
      expect(removed.json().os_distro).toBeUndefined();

      const wrongType = await patch([{ op: "replace", path: "/name", value: "x" }], "application/json");
      expect(wrongType.statusCode).toBe(415);
      expect(wrongType.headers["accept-patch"]).toBe(
        "application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch",
      );
      const draft4 = await patch(
        [{ replace: "/name", value: "d4" }],
        "application/openstack-images-v2.0-json-patch",
      );
      expect(draft4.json().name).toBe("d4");

      const refusals: [unknown, number, string][] = [
        [{ op: "replace", path: "/name" }, 400, 'Operation "replace" requires a member named "value".'],
        [{ op: "move", path: "/name", value: 1 }, 400, "Invalid operation: `move`."],
        [{ op: "replace", path: "name", value: "x" }, 400, 'Pointer `name` does not start with "/".'],
        [{ op: "replace", path: "/a/b", value: "x" }, 400, "Invalid JSON pointer for this resource: '/a/b'"],
        [
          { op: "replace", path: "/min_ram", value: "lots" },
          400,
          "Provided object does not match schema 'image'",
        ],
        [{ op: "replace", path: "/checksum", value: "x" }, 403, "Attribute 'checksum' is read-only."],
        [{ op: "remove", path: "/name" }, 403, "Property name may not be removed."],
        [{ op: "replace", path: "/nothing", value: "x" }, 409, "Property nothing does not exist."],
        [{ op: "replace", path: "/visibility", value: "public" }, 403, "publicize_image"],
      ];
      for (const [op, status, message] of refusals) {
        const r = await patch([op]);
        expect(r.statusCode, JSON.stringify(op)).toBe(status);
        expect(r.json().message).toContain(message);
      }
      expect((await patch("not a list")).statusCode).toBe(400);
      expect(
        (await patch([{ op: "replace", path: "/name", value: "b" }], PATCH_TYPE, "tok-bob")).statusCode,
      ).toBe(404);
    });

    it("deletes images: 403 while protected, 204 after", async () => {
      const image = await createImage("tok-alice", { name: "guarded", protected: true });
      const url = `/image/v2/images/${image.id}`;
      const refused = await call("DELETE", url, { token: "tok-alice" });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().message).toContain(`Image ${image.id} is protected and cannot be deleted.`);
      await call("PATCH", url, {
        token: "tok-alice",
        body: JSON.stringify([{ op: "replace", path: "/protected", value: false }]),
        headers: { "content-type": PATCH_TYPE },
      });
      expect((await call("DELETE", url, { token: "tok-alice" })).statusCode).toBe(204);
      expect((await call("GET", url, { token: "tok-alice" })).statusCode).toBe(404);
      expect((await call("DELETE", url, { token: "tok-alice" })).statusCode).toBe(404);
    });

    it("adds and removes tags", async () => {
      const image = await createImage("tok-alice", { name: "tagged" });
      const url = `/image/v2/images/${image.id}`;
      expect((await call("PUT", `${url}/tags/blue`, { token: "tok-alice" })).statusCode).toBe(204);
      expect((await call("PUT", `${url}/tags/green`, { token: "tok-alice" })).statusCode).toBe(204);
      expect((await call("PUT", `${url}/tags/${"x".repeat(256)}`, { token: "tok-alice" })).statusCode).toBe(
        400,
      );
      expect((await call("DELETE", `${url}/tags/blue`, { token: "tok-alice" })).statusCode).toBe(204);
      expect((await call("DELETE", `${url}/tags/blue`, { token: "tok-alice" })).statusCode).toBe(404);
      expect((await call("PUT", `${url}/tags/red`, { token: "tok-bob" })).statusCode).toBe(404);
      expect((await call("GET", url, { token: "tok-alice" })).json().tags).toEqual(["green"]);
    });

    it("deactivates and reactivates", async () => {
      const image = await createImage("tok-alice", { disk_format: "raw", container_format: "bare" });
      const url = `/image/v2/images/${image.id}`;
      await call("PUT", `${url}/file`, {
        token: "tok-alice",
        body: "x",
        headers: { "content-type": "application/octet-stream" },
      });
      expect((await call("POST", `${url}/actions/deactivate`, { token: "tok-alice" })).statusCode).toBe(204);
      expect((await call("GET", url, { token: "tok-alice" })).json().status).toBe("deactivated");
      expect((await call("GET", `${url}/file`, { token: "tok-alice" })).statusCode).toBe(403);
      expect((await call("POST", `${url}/actions/reactivate`, { token: "tok-alice" })).statusCode).toBe(204);
      expect((await call("GET", `${url}/file`, { token: "tok-alice" })).statusCode).toBe(200);
    });
  });

  describe("visibility between projects", () => {
    it("keeps private images to their project and lets only admins make public ones", async () => {
      const priv = await createImage("tok-alice", { name: "alice-private", visibility: "private" });
      const forbidden = await call("POST", "/image/v2/images", {
        token: "tok-alice",
        json: { name: "x", visibility: "public" },
      });
      expect(forbidden.statusCode).toBe(403);
      expect(forbidden.json().message).toContain(
        "You are not authorized to complete publicize_image action.",
      );
      const pub = await createImage("tok-admin", { name: "admin-public", visibility: "public" });

      expect((await call("GET", `/image/v2/images/${priv.id}`, { token: "tok-bob" })).statusCode).toBe(404);
      expect((await call("GET", `/image/v2/images/${priv.id}/file`, { token: "tok-bob" })).statusCode).toBe(
        404,
      );
      expect((await call("GET", `/image/v2/images/${pub.id}`, { token: "tok-bob" })).statusCode).toBe(200);
      const names = async (token: string) =>
        (await call("GET", "/image/v2/images", { token })).json().images.map((i: { name: string }) => i.name);
      expect((await names("tok-bob")).sort()).toEqual(["admin-public"]);
      expect((await names("tok-alice")).sort()).toEqual(["admin-public", "alice-private"]);
      expect((await names("tok-admin")).sort()).toEqual(["admin-public", "alice-private"]);
      // a reader sees, but may not change
      expect((await call("GET", `/image/v2/images/${priv.id}`, { token: "tok-reader" })).statusCode).toBe(
        200,
      );
      expect((await call("DELETE", `/image/v2/images/${priv.id}`, { token: "tok-reader" })).statusCode).toBe(
        403,
      );
      // another project may see a public image but not change it
      const change = await call("PATCH", `/image/v2/images/${pub.id}`, {
        token: "tok-bob",
        body: JSON.stringify([{ op: "replace", path: "/name", value: "bob's" }]),
        headers: { "content-type": PATCH_TYPE },
      });
      expect(change.statusCode).toBe(403);
    });
  });

  describe("listing", () => {
    it("filters, sorts and pages with Glance's links", async () => {
      for (const [name, tags, distro] of [
        ["img-a", ["x"], "ubuntu"],
        ["img-b", [], "cirros"],
        ["img-c", ["x", "y"], "cirros"],
        ["img-d", [], "fedora"],
        ["img-e", ["y"], "cirros"],
      ] as const) {
        await createImage("tok-alice", { name, tags, os_distro: distro });
      }
      const list = (query: string) => call("GET", `/image/v2/images${query}`, { token: "tok-alice" });
      const names = async (query: string) =>
        (await list(query)).json().images.map((i: { name: string }) => i.name);

      const all = (await list("")).json();
      expect(all).toMatchObject({ first: "/v2/images", schema: "/v2/schemas/images" });
      expect(all.next).toBeUndefined();
      expect(all.images).toHaveLength(5);

      expect(await names("?sort=name:asc")).toEqual(["img-a", "img-b", "img-c", "img-d", "img-e"]);
      expect(await names("?sort_key=name&sort_dir=desc")).toEqual([
        "img-e",
        "img-d",
        "img-c",
        "img-b",
        "img-a",
      ]);
      expect(await names("?tag=x&tag=y")).toEqual(["img-c"]);
      expect(await names("?os_distro=cirros&sort=name:asc")).toEqual(["img-b", "img-c", "img-e"]);
      expect(await names("?name=in:img-a,img-d&sort=name:asc")).toEqual(["img-a", "img-d"]);
      expect(await names("?name=img-b")).toEqual(["img-b"]);
      expect(await names("?status=active")).toEqual([]);
      expect(await names(`?visibility=shared&owner=${PROJECT_A}`)).toHaveLength(5);
      expect(await names("?member_status=all")).toHaveLength(5);

      // pages of two, following Glance's `next` links
      const seen: string[] = [];
      let url = "/v2/images?sort=name:asc&limit=2";
      for (let pages = 0; url && pages < 5; pages++) {
        const page = (await call("GET", `/image${url}`, { token: "tok-alice" })).json();
        seen.push(...page.images.map((i: { name: string }) => i.name));
        if (pages === 0) {
          expect(page.first).toBe("/v2/images?sort=name%3Aasc&limit=2");
          expect(page.next).toBe(`/v2/images?sort=name%3Aasc&limit=2&marker=${page.images[1].id}`);
        }
        url = page.next;
      }
      expect(seen).toEqual(["img-a", "img-b", "img-c", "img-d", "img-e"]);

      for (const [query, message] of [
        ["?limit=x", "limit param must be an integer"],
        ["?limit=-1", "limit param must be positive"],
        ["?sort_key=colour", "Invalid sort key: colour."],
        ["?sort_dir=up", "Invalid sort direction: up"],
        ["?sort=name&sort_key=name", "Old and new sorting syntax cannot be combined"],
        ["?visibility=everyone", "Invalid visibility value: everyone"],
        ["?marker=nope", "No image found with ID nope"],
        ["?name=like:img", "Unable to filter by unknown operator 'like'."],
        ["?os_hidden=maybe", "Invalid value 'maybe' for 'os_hidden' filter."],
        ["?size_min=big", "Unable to filter on a range with a non-numeric value."],
        ["?created_at=gt:yesterday", 'Bad "created_at" query filter format.'],
      ]) {
        const res = await list(query!);
        expect(res.statusCode, query).toBe(400);
        expect(res.json().message).toContain(message);
      }
    });

    it("lists the bootstrap image to everyone", async () => {
      const id = await images.ensureBootstrapImage();
      const res = await call("GET", `/image/v2/images?name=${BOOTSTRAP_IMAGE_NAME}`, { token: "tok-bob" });
      expect(res.json().images).toMatchObject([
        { id, name: BOOTSTRAP_IMAGE_NAME, status: "active", visibility: "public", disk_format: "qcow2" },
      ]);
    });
  });

  describe("schemas", () => {
    it("serves the image and images schemas behind the token", async () => {
      expect((await call("GET", "/image/v2/schemas/image")).statusCode).toBe(401);
      const image = (await call("GET", "/image/v2/schemas/image", { token: "tok-alice" })).json();
      expect(image.name).toBe("image");
      expect(image.additionalProperties).toEqual({ type: "string" });
      expect(image.properties.disk_format.enum).toContain("qcow2");
      expect(image.properties.os_distro.is_base).toBe(false);
      expect(image.links).toContainEqual({ rel: "enclosure", href: "{file}" });
      const list = (await call("GET", "/image/v2/schemas/images", { token: "tok-alice" })).json();
      expect(list.name).toBe("images");
      expect(list.properties.images.items.name).toBe("image");
    });
  });
});
