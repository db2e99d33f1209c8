/**
 * nova's image proxy (GET /images, /images/detail, /images/{id}, DELETE /images/{id}):
 * Glance's images as the caller's token sees them, in nova's view, up to 2.35; 404 from 2.36.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Caller, type ComputeHarness, computeHarness, IMAGE_ID } from "../../../test/compute-harness.js";

let h: ComputeHarness;
beforeAll(async () => {
  h = await computeHarness();
});
afterAll(async () => h.close());

const V = "2.35";

const glanceImage = async (body: Record<string, unknown>, as: Caller = "demo"): Promise<string> => {
  const r = await h.call({ method: "POST", url: "/image/v2/images", body, as });
  if (r.status !== 201) throw new Error(`create image: ${r.status} ${r.text}`);
  return r.json.id;
};

const get = (url: string, as: Caller = "demo", version = V) => h.call({ url, as, version });

describe("nova's image proxy", () => {
  it("shows an image in nova's view with its links and mapped status", async () => {
    const id = await glanceImage({ name: "queued-one", min_ram: 64, min_disk: 1, auto_disk_config: "True" });
    const r = await get(`/images/${id}`);
    expect(r.status).toBe(200);
    const image = r.json.image;
    expect(image).toMatchObject({
      id,
      name: "queued-one",
      status: "SAVING",
      progress: 25,
      minRam: 64,
      minDisk: 1,
      "OS-DCF:diskConfig": "AUTO",
      "OS-EXT-IMG-SIZE:size": null,
    });
    expect(image.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(image.links.map((l: { rel: string }) => l.rel)).toEqual(["self", "bookmark", "alternate"]);
    expect(image.links[2].href).toMatch(new RegExp(`/image/images/${id}$`));
    const active = (await get(`/images/${IMAGE_ID}`)).json.image;
    expect(active).toMatchObject({ status: "ACTIVE", progress: 100 });
  });

  it("links a snapshot's server", async () => {
    const server = "8f0a7b6e-3c1d-4c39-9d67-0a2b1f3e4d5c";
    const id = await glanceImage({ name: "snap", instance_uuid: server, image_type: "snapshot" });
    const image = (await get(`/images/${id}`)).json.image;
    expect(image.server.id).toBe(server);
    expect(image.server.links[0].href).toMatch(new RegExp(`/servers/${server}$`));
    const byServer = (await get(`/images/detail?server=${server}`)).json.images;
    expect(byServer.map((i: { id: string }) => i.id)).toEqual([id]);
    const byType = (await get("/images?type=snapshot")).json.images;
    expect(byType.map((i: { id: string }) => i.id)).toContain(id);
  });

  it("lists with nova's filters and pages with images_links", async () => {
    const ids = [];
    for (const n of [1, 2, 3]) ids.push(await glanceImage({ name: "paged", min_ram: 512 * n }));
    const all = (await get("/images?name=paged")).json.images;
    expect(all).toHaveLength(3);
    expect(Object.keys(all[0]).sort()).toEqual(["id", "links", "name"]);
    expect(
      (await get("/images/detail?minRam=1024")).json.images.map((i: { id: string }) => i.id).sort(),
    ).toEqual(ids.slice(1).sort());
    expect((await get("/images?status=active")).json.images.map((i: { id: string }) => i.id)).toEqual([
      IMAGE_ID,
    ]);
    const first = (await get("/images/detail?name=paged&limit=2")).json;
    expect(first.images).toHaveLength(2);
    const next = first.images_links[0];
    expect(next.rel).toBe("next");
    expect(next.href).toContain(`/images/detail?limit=2&marker=${first.images[1].id}&name=paged`);
    const second = (await get(`/images/detail?name=paged&limit=2&marker=${first.images[1].id}`)).json;
    expect(second.images).toHaveLength(1);
    expect(second.images_links).toBeUndefined();
    expect((await get("/images?marker=nope")).status).toBe(400);
    expect((await get("/images?changes-since=2000-01-01T00:00:00Z&name=paged")).json.images).toHaveLength(3);
    expect((await get("/images?changes-since=2999-01-01T00:00:00Z")).json.images).toHaveLength(0);
  });

  it("hides another project's private image and forbids deleting what the caller does not own", async () => {
    const mine = await glanceImage({ name: "private-of-other", visibility: "private" }, "other");
    expect((await get(`/images/${mine}`)).status).toBe(404);
    expect((await get("/images?name=private-of-other")).json.images).toEqual([]);
    expect((await get("/images?name=private-of-other", "admin")).json.images).toHaveLength(1);
    const del = await h.call({ method: "DELETE", url: `/images/${IMAGE_ID}`, version: V });
    expect(del.status).toBe(403);
    expect(del.json.forbidden.message).toBe("You are not allowed to delete the image.");
  });

  it("deletes an image (204), then it is not found (404); a protected one is 403", async () => {
    const id = await glanceImage({ name: "doomed" });
    expect((await h.call({ method: "DELETE", url: `/images/${id}`, version: V })).status).toBe(204);
    const gone = await get(`/images/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.json.itemNotFound.message).toBe("Image not found.");
    expect((await h.call({ method: "DELETE", url: `/images/${id}`, version: V })).status).toBe(404);
    const kept = await glanceImage({ name: "kept", protected: true });
    expect((await h.call({ method: "DELETE", url: `/images/${kept}`, version: V })).status).toBe(403);
  });

  it("answers 404 from 2.36", async () => {
    expect((await get("/images", "demo", "2.36")).status).toBe(404);
    expect((await get("/images/detail", "demo", "2.36")).status).toBe(404);
    expect((await get(`/images/${IMAGE_ID}`, "demo", "2.36")).status).toBe(404);
    expect((await h.call({ method: "DELETE", url: `/images/${IMAGE_ID}`, version: "2.36" })).status).toBe(
      404,
    );
  });
});

describe("nova's image metadata proxy", () => {
  const meta = (id: string, suffix = "") => `/images/${id}/metadata${suffix}`;
  const send = (method: "POST" | "PUT" | "DELETE", url: string, body?: unknown, version = V) =>
    h.call({ method, url, body, version });

  it("reads, merges, replaces and deletes an image's properties in Glance", async () => {
    const id = await glanceImage({ name: "with-meta", app: "k1", tier: "r1" });
    expect((await get(meta(id))).json).toEqual({ metadata: { app: "k1", tier: "r1" } });
    expect((await get(meta(id, "/app"))).json).toEqual({ meta: { app: "k1" } });

    const merged = await send("POST", meta(id), { metadata: { app: "k2", os: "linux" } });
    expect(merged.status).toBe(200);
    expect(merged.json.metadata).toEqual({ app: "k2", tier: "r1", os: "linux" });
    const glance = await h.call({ url: `/image/v2/images/${id}` });
    expect(glance.json).toMatchObject({ app: "k2", os: "linux" });

    const one = await send("PUT", meta(id, "/os"), { meta: { os: "bsd" } });
    expect(one.json).toEqual({ meta: { os: "bsd" } });
    const mismatch = await send("PUT", meta(id, "/os"), { meta: { other: "x" } });
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.badRequest.message).toBe("Request body and URI mismatch");

    const all = await send("PUT", meta(id), { metadata: { only: "this" } });
    expect(all.json).toEqual({ metadata: { only: "this" } });
    expect((await get(meta(id))).json.metadata).toEqual({ only: "this" });

    expect((await send("DELETE", meta(id, "/only"))).status).toBe(204);
    expect((await get(meta(id))).json.metadata).toEqual({});
    const missing = await send("DELETE", meta(id, "/only"));
    expect(missing.status).toBe(404);
    expect(missing.json.itemNotFound.message).toBe("Invalid metadata key");
    expect((await get(meta(id, "/only"))).status).toBe(404);
  });

  it("holds the whole set to the metadata_items quota (403)", async () => {
    const id = await glanceImage({ name: "quota-meta" });
    const many = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, "v"]));
    const r = await send("PUT", meta(id), { metadata: many });
    expect(r.status).toBe(403);
    expect(r.json.forbidden.message).toBe("Image metadata limit exceeded");
    expect((await get(meta(id))).json.metadata).toEqual({});
  });

  it("answers nova's errors: unknown or hidden image 404, another's image 403, bad body 400", async () => {
    expect((await get(meta("00000000-0000-0000-0000-000000000000"))).json.itemNotFound.message).toBe(
      "Image not found.",
    );
    const hidden = await glanceImage({ name: "other-private", visibility: "private" }, "other");
    expect((await get(meta(hidden))).status).toBe(404);
    const denied = await send("POST", meta(IMAGE_ID), { metadata: { a: "b" } });
    expect(denied.status).toBe(403);
    expect(denied.json.forbidden.message).toBe(`Not authorized for image ${IMAGE_ID}.`);
    expect((await send("POST", meta(IMAGE_ID), { metadata: "nope" })).status).toBe(400);
  });

  it("is served to 2.38 and answers 404 from 2.39", async () => {
    expect((await get(meta(IMAGE_ID), "demo", "2.38")).status).toBe(200);
    expect((await get(meta(IMAGE_ID), "demo", "2.39")).status).toBe(404);
  });
});
