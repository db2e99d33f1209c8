import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ComputePorts } from "../compute/ports.js";
import { Conflict, Forbidden, ImageNotFound, InvalidInput } from "../errors.js";
import { BOOTSTRAP_IMAGE_NAME, bootstrapImageData } from "./bootstrap-image.js";
import { ImageGone, ImageLimitExceeded } from "./errors.js";
import type { ImageService } from "./image-service.js";
import { ADMIN, ALICE, BOB, openImageTestService, PROJECT_A, READER_A } from "./testing.js";

const md5 = (data: Buffer) => createHash("md5").update(data).digest("hex");
const sha512 = (data: Buffer) => createHash("sha512").update(data).digest("hex");

async function* chunks(...parts: Buffer[]): AsyncIterable<Uint8Array> {
  for (const part of parts) yield part;
}

describe("ImageService", () => {
  let images: ImageService;
  let dataDir: string;
  let close: () => Promise<void>;
  let tick = 0;

  beforeEach(async () => {
    // a clock that moves one second per reading, so that created_at orders images
    tick = 0;
    const t = await openImageTestService({
      now: () => new Date(Date.UTC(2026, 0, 1) + 1000 * tick++).toISOString(),
      maxImageBytes: 64 * 1024,
    });
    images = t.images;
    dataDir = t.dataDir;
    close = t.close;
  });
  afterEach(async () => close());

  const queued = (name = "img", extra: Parameters<ImageService["create"]>[1] = {}) =>
    images.create(ALICE, { name, diskFormat: "raw", containerFormat: "bare", ...extra });

  describe("create, upload, download", () => {
    it("creates a queued image owned by the caller's project, shared by default", async () => {
      const image = await images.create(ALICE, { name: "x", properties: { os_distro: "cirros", a: "b" } });
      expect(image).toMatchObject({
        name: "x",
        status: "queued",
        visibility: "shared",
        owner: PROJECT_A,
        size: null,
        checksum: null,
        properties: { os_distro: "cirros", a: "b" },
        tags: [],
        protected: false,
        osHidden: false,
      });
      expect(await images.get(ALICE, image.id)).toEqual(image);
    });

    it("takes a client-chosen id once", async () => {
      const id = "3f2a1f54-4e4b-4b4f-9d4e-2b1d1c1a0e01";
      await images.create(ALICE, { id, name: "chosen" });
      await expect(images.create(ALICE, { id })).rejects.toThrow(
        new Conflict(`Image ID ${id} already exists!`),
      );
    });

    it("streams data to a file with size, md5 and sha512, queued → active", async () => {
      const image = await queued();
      const a = Buffer.from("hello ");
      const b = Buffer.from("nimbus images\n");
      const all = Buffer.concat([a, b]);
      const active = await images.upload(ALICE, image.id, chunks(a, b), { expectedSize: all.length });
      expect(active).toMatchObject({
        status: "active",
        size: all.length,
        virtualSize: all.length, // raw: the data is the disk
        checksum: md5(all),
        osHashAlgo: "sha512",
        osHashValue: sha512(all),
      });
      expect(await images.get(ALICE, image.id)).toEqual(active);
      const data = await images.openData(ALICE, image.id);
      expect(data.size).toBe(all.length);
      expect(data.path).toBe(path.join(dataDir, "images", image.id));
      expect(readFileSync(data.path!)).toEqual(all);
      expect(await images.dataPath(image.id)).toBe(data.path);
    });

    it("reads a qcow2 header's virtual size", async () => {
      const image = await images.create(ALICE, { diskFormat: "qcow2", containerFormat: "bare" });
      const header = Buffer.alloc(512);
      header.writeUInt32BE(0x514649fb, 0);
      header.writeUInt32BE(3, 4);
      header.writeBigUInt64BE(117440512n, 24);
      const active = await images.upload(ALICE, image.id, header);
      expect(active.virtualSize).toBe(117440512);
    });

    it("refuses a second upload with 409 and keeps the first data", async () => {
      const image = await queued();
      await images.upload(ALICE, image.id, Buffer.from("one"));
      await expect(images.upload(ALICE, image.id, Buffer.from("two"))).rejects.toThrow(
        new Conflict("Image status transition from active to saving is not allowed"),
      );
      expect(readFileSync((await images.openData(ALICE, image.id)).path!, "utf8")).toBe("one");
    });

    it("needs both formats before data", async () => {
      const image = await images.create(ALICE, { name: "bare" });
      await expect(images.upload(ALICE, image.id, Buffer.from("x"))).rejects.toThrow(
        new InvalidInput("Properties disk_format, container_format must be set prior to saving data."),
      );
      const half = await images.create(ALICE, { diskFormat: "raw" });
      await expect(images.upload(ALICE, half.id, Buffer.from("x"))).rejects.toThrow(
        new InvalidInput("Property container_format must be set prior to saving data."),
      );
    });

    it("goes back to queued, without data, when an upload fails", async () => {
      const image = await queued();
      await expect(images.upload(ALICE, image.id, Buffer.from("abc"), { expectedSize: 4 })).rejects.toThrow(
        InvalidInput,
      );
      await expect(images.upload(ALICE, image.id, Buffer.alloc(64 * 1024 + 1))).rejects.toThrow(
        ImageLimitExceeded,
      );
      async function* broken(): AsyncIterable<Uint8Array> {
        yield Buffer.from("partial");
        throw new Error("client went away");
      }
      await expect(images.upload(ALICE, image.id, broken())).rejects.toThrow("client went away");
      expect((await images.get(ALICE, image.id)).status).toBe("queued");
      expect(existsSync(path.join(dataDir, "images", image.id))).toBe(false);
      // and the upload can be tried again
      expect((await images.upload(ALICE, image.id, Buffer.from("abc"))).status).toBe("active");
    });

    it("answers 410 when the image is deleted while its data comes in", async () => {
      const image = await queued();
      const service = images;
      async function* slow(): AsyncIterable<Uint8Array> {
        yield Buffer.from("first part ");
        await service.delete(ALICE, image.id);
        yield Buffer.from("second part");
      }
      await expect(images.upload(ALICE, image.id, slow())).rejects.toThrow(ImageGone);
      expect(existsSync(path.join(dataDir, "images", image.id))).toBe(false);
    });

    it("has no data to download while queued", async () => {
      const image = await queued();
      expect(await images.openData(ALICE, image.id)).toMatchObject({ path: null, size: 0 });
      expect(await images.dataPath(image.id)).toBeNull();
    });

    it("keeps a deactivated image's data from all but admins", async () => {
      const image = await queued("d", { visibility: "community" });
      await images.upload(ALICE, image.id, Buffer.from("data"));
      await images.deactivate(ALICE, image.id);
      await expect(images.openData(BOB, image.id)).rejects.toThrow(Forbidden);
      expect((await images.openData(ADMIN, image.id)).path).not.toBeNull();
      await images.reactivate(ALICE, image.id);
      expect((await images.openData(BOB, image.id)).path).not.toBeNull();
      const other = await queued("q");
      await expect(images.deactivate(ALICE, other.id)).rejects.toThrow(
        new Forbidden("Not allowed to deactivate image in status 'queued'"),
      );
    });
  });

  describe("visibility", () => {
    it("shows private and shared images to their project only, public and community to all", async () => {
      const priv = await queued("priv", { visibility: "private" });
      const shared = await queued("shared");
      const community = await queued("community", { visibility: "community" });
      const pub = await images.create(ADMIN, { name: "pub", visibility: "public" });

      for (const hidden of [priv, shared]) {
        await expect(images.get(BOB, hidden.id)).rejects.toThrow(ImageNotFound);
        await expect(images.get(BOB, hidden.id)).rejects.toThrow(`No image found with ID ${hidden.id}`);
      }
      expect((await images.get(BOB, community.id)).name).toBe("community");
      expect((await images.get(BOB, pub.id)).name).toBe("pub");

      const names = async (ctx: typeof ALICE, query = {}) =>
        (await images.list(ctx, query)).images.map((i) => i.name).sort();
      expect(await names(ALICE)).toEqual(["community", "priv", "pub", "shared"]);
      // another project's community images only when asked for
      expect(await names(BOB)).toEqual(["pub"]);
      expect(await names(BOB, { visibility: "community" })).toEqual(["community"]);
      expect(await names(BOB, { visibility: "all" })).toEqual(["community", "pub"]);
      expect(await names(ADMIN, { visibility: "all" })).toEqual(["community", "priv", "pub", "shared"]);
      expect(await names(ALICE, { visibility: "private" })).toEqual(["priv"]);
    });

    it("lets only admins publicize", async () => {
      await expect(images.create(ALICE, { visibility: "public" })).rejects.toThrow(
        new Forbidden("You are not authorized to complete publicize_image action."),
      );
      const image = await queued();
      await expect(
        images.update(ALICE, image.id, [{ op: "replace", path: "visibility", value: "public" }]),
      ).rejects.toThrow(Forbidden);
      await images.update(ADMIN, image.id, [{ op: "replace", path: "visibility", value: "public" }]);
      expect((await images.get(BOB, image.id)).visibility).toBe("public");
    });

    it("refuses changes by other projects (403 when visible, 404 when not) and by readers", async () => {
      const community = await queued("c", { visibility: "community" });
      const priv = await queued("p", { visibility: "private" });
      const rename = [{ op: "replace" as const, path: "name", value: "mine" }];
      await expect(images.update(BOB, community.id, rename)).rejects.toThrow(
        new Forbidden("You are not authorized to complete modify_image action."),
      );
      await expect(images.update(BOB, priv.id, rename)).rejects.toThrow(ImageNotFound);
      await expect(images.delete(BOB, community.id)).rejects.toThrow(Forbidden);
      await expect(images.upload(BOB, community.id, Buffer.from("x"))).rejects.toThrow(Forbidden);
      await expect(images.update(READER_A, priv.id, rename)).rejects.toThrow(Forbidden);
      expect((await images.get(READER_A, priv.id)).name).toBe("p");
      await expect(images.create(ALICE, { owner: "someone-else" })).rejects.toThrow(
        new Forbidden("You are not permitted to create images owned by 'someone-else'."),
      );
    });

    it("hides os_hidden images from the default list", async () => {
      const hidden = await queued("hidden", { osHidden: true });
      expect((await images.list(ALICE)).images.map((i) => i.id)).not.toContain(hidden.id);
      expect((await images.list(ALICE, { osHidden: true })).images.map((i) => i.id)).toEqual([hidden.id]);
    });
  });

  describe("update", () => {
    it("adds, replaces and removes attributes and extra properties", async () => {
      const image = await queued("before", { properties: { keep: "1", drop: "2" } });
      const after = await images.update(ALICE, image.id, [
        { op: "replace", path: "name", value: "after" },
        { op: "add", path: "min_ram", value: 512 },
        { op: "replace", path: "protected", value: true },
        { op: "add", path: "tags", value: ["a", "b", "a"] },
        { op: "add", path: "hw_disk_bus", value: "virtio" },
        { op: "replace", path: "keep", value: "one" },
        { op: "remove", path: "drop" },
        { op: "replace", path: "disk_format", value: "qcow2" },
      ]);
      expect(after).toMatchObject({
        name: "after",
        minRam: 512,
        protected: true,
        tags: ["a", "b"],
        diskFormat: "qcow2",
        properties: { keep: "one", hw_disk_bus: "virtio" },
      });
      expect(after.updatedAt > image.updatedAt).toBe(true);
      expect(await images.get(ALICE, image.id)).toEqual(after);
    });

    it("refuses what Glance refuses, changing nothing", async () => {
      const image = await queued("same", { properties: { p: "v" } });
      const cases: [Parameters<ImageService["update"]>[2], Error][] = [
        [[{ op: "remove", path: "name" }], new Forbidden("Property name may not be removed.")],
        [[{ op: "replace", path: "nope", value: "x" }], new Conflict("Property nope does not exist.")],
        [[{ op: "remove", path: "nope" }], new Conflict("Property nope does not exist.")],
        [
          [{ op: "add", path: "p", value: "w", strictAdd: true }],
          new Conflict("Property p already present."),
        ],
        [
          [{ op: "replace", path: "status", value: "active" }],
          new Forbidden("Attribute 'status' is read-only."),
        ],
        [
          [{ op: "add", path: "os_glance_x", value: "1" }],
          new Forbidden("Attribute 'os_glance_x' is reserved."),
        ],
        [
          [{ op: "replace", path: "owner", value: "x" }],
          new Forbidden("Owner can't be updated by non admin."),
        ],
        [
          [{ op: "replace", path: "min_disk", value: -1 }],
          new InvalidInput("Invalid value '-1' for parameter 'min_disk': Cannot be a negative value."),
        ],
        [
          [
            { op: "replace", path: "name", value: "changed" },
            { op: "remove", path: "missing" },
          ],
          new Conflict("Property missing does not exist."),
        ],
      ];
      for (const [changes, error] of cases) {
        await expect(images.update(ALICE, image.id, changes)).rejects.toThrow(error);
      }
      expect(await images.get(ALICE, image.id)).toEqual(image);
    });

    it("fixes the formats once data is in", async () => {
      const image = await queued();
      await images.upload(ALICE, image.id, Buffer.from("x"));
      await expect(
        images.update(ALICE, image.id, [{ op: "replace", path: "disk_format", value: "qcow2" }]),
      ).rejects.toThrow(new Forbidden("Attribute disk_format can be only replaced for a queued image."));
    });

    it("adds and removes tags one at a time", async () => {
      const image = await queued();
      await images.addTag(ALICE, image.id, "x");
      await images.addTag(ALICE, image.id, "x");
      await images.addTag(ALICE, image.id, "y");
      expect((await images.get(ALICE, image.id)).tags).toEqual(["x", "y"]);
      await images.removeTag(ALICE, image.id, "x");
      await expect(images.removeTag(ALICE, image.id, "x")).rejects.toThrow(ImageNotFound);
      await expect(images.addTag(BOB, image.id, "z")).rejects.toThrow(`Image ${image.id} not found.`);
      expect((await images.get(ALICE, image.id)).tags).toEqual(["y"]);
    });
  });

  describe("delete", () => {
    it("refuses a protected image, then deletes image and data", async () => {
      const image = await queued("p", { protected: true });
      await images.upload(ALICE, image.id, Buffer.from("data"));
      const file = path.join(dataDir, "images", image.id);
      expect(existsSync(file)).toBe(true);
      await expect(images.delete(ALICE, image.id)).rejects.toThrow(
        new Forbidden(`Image ${image.id} is protected and cannot be deleted.`),
      );
      await images.update(ALICE, image.id, [{ op: "replace", path: "protected", value: false }]);
      await images.delete(ALICE, image.id);
      expect(existsSync(file)).toBe(false);
      await expect(images.get(ALICE, image.id)).rejects.toThrow(ImageNotFound);
      await expect(images.delete(ALICE, image.id)).rejects.toThrow(
        `Failed to find image ${image.id} to delete`,
      );
    });
  });

  describe("list", () => {
    it("sorts, filters and pages as Glance does", async () => {
      const made = [];
      for (const [name, size] of [
        ["c", 3],
        ["a", 1],
        ["b", 2],
        ["d", 4],
      ] as const) {
        const image = await queued(name, {
          tags: name === "a" || name === "d" ? ["t"] : [],
          properties: { n: name },
        });
        await images.upload(ALICE, image.id, Buffer.alloc(size));
        made.push(image);
      }
      const ids = (r: { images: { name: string | null }[] }) => r.images.map((i) => i.name);
      // default: newest first
      expect(ids(await images.list(ALICE))).toEqual(["d", "b", "a", "c"]);
      expect(ids(await images.list(ALICE, { sortKeys: ["name"], sortDirs: ["asc"] }))).toEqual([
        "a",
        "b",
        "c",
        "d",
      ]);
      expect(ids(await images.list(ALICE, { sortKeys: ["size"], sortDirs: ["desc"] }))).toEqual([
        "d",
        "c",
        "b",
        "a",
      ]);
      expect(ids(await images.list(ALICE, { tags: ["t"] }))).toEqual(["d", "a"]);
      expect(ids(await images.list(ALICE, { properties: { n: "b" } }))).toEqual(["b"]);
      expect(ids(await images.list(ALICE, { names: ["a", "c"], sortKeys: ["name"] }))).toEqual(["c", "a"]);
      expect(ids(await images.list(ALICE, { sizeMin: 2, sizeMax: 3 }))).toEqual(["b", "c"]);
      expect(ids(await images.list(ALICE, { statuses: ["queued"] }))).toEqual([]);

      const first = await images.list(ALICE, { sortKeys: ["name"], sortDirs: ["asc"], limit: 3 });
      expect(ids(first)).toEqual(["a", "b", "c"]);
      expect(first.nextMarker).toBe(first.images[2]!.id);
      const second = await images.list(ALICE, {
        sortKeys: ["name"],
        sortDirs: ["asc"],
        limit: 3,
        marker: first.nextMarker,
      });
      expect(ids(second)).toEqual(["d"]);
      expect(second.nextMarker).toBeUndefined();

      await expect(images.list(ALICE, { marker: "no-such-image" })).rejects.toThrow(
        new InvalidInput("No image found with ID no-such-image"),
      );
    });
  });

  describe("snapshots (compute's createImage)", () => {
    it("is what compute's image port asks for", () => {
      const port: ComputePorts["images"] = images;
      expect(typeof port.createSnapshot).toBe("function");
    });

    it("creates a queued private image and makes it active with data, idempotently", async () => {
      const id = await images.createSnapshot(ALICE, {
        name: "snap",
        instanceUuid: "11111111-2222-4333-8444-555555555555",
        properties: { image_type: "snapshot", base_image_ref: "base" },
      });
      const image = await images.get(ALICE, id);
      expect(image).toMatchObject({
        name: "snap",
        status: "queued",
        visibility: "private",
        owner: PROJECT_A,
        diskFormat: "qcow2",
        containerFormat: "bare",
        properties: {
          image_type: "snapshot",
          base_image_ref: "base",
          instance_uuid: "11111111-2222-4333-8444-555555555555",
          user_id: "u-alice",
          owner_user_name: "alice",
          owner_project_name: "p-alice",
        },
      });
      await expect(images.get(BOB, id)).rejects.toThrow(ImageNotFound);
      const data = Buffer.from("fake disk");
      await images.uploadSnapshot(id, data);
      await images.uploadSnapshot(id, Buffer.from("retried")); // a retried task step: no change
      expect(await images.get(ALICE, id)).toMatchObject({
        status: "active",
        size: data.length,
        checksum: md5(data),
      });
      expect(readFileSync((await images.dataPath(id))!)).toEqual(data);
      await images.deleteSnapshot(id);
      await images.deleteSnapshot(id);
      await expect(images.get(ALICE, id)).rejects.toThrow(ImageNotFound);
      expect(existsSync(path.join(dataDir, "images", id))).toBe(false);
    });

    it("takes data from a file, or none", async () => {
      const source = path.join(dataDir, "snapshot.tar");
      writeFileSync(source, "tar bytes");
      const id = await images.createSnapshot(ALICE, {
        name: "s",
        instanceUuid: "i",
        properties: {},
        sourceDataPath: source,
      });
      expect(await images.get(ALICE, id)).toMatchObject({ status: "active", size: 9 });
      const empty = await images.createSnapshot(ALICE, { name: "e", instanceUuid: "i", properties: {} });
      await images.uploadSnapshot(empty, null);
      expect(await images.get(ALICE, empty)).toMatchObject({ status: "active", size: 0, checksum: null });
      expect(await images.openData(ALICE, empty)).toMatchObject({ path: null });
      await expect(
        images.createSnapshot(ALICE, {
          name: "bad",
          instanceUuid: "i",
          properties: {},
          sourceDataPath: `${source}.missing`,
        }),
      ).rejects.toThrow();
      expect((await images.list(ALICE)).images.map((i) => i.name).sort()).toEqual(["e", "s"]);
    });
  });

  describe("bootstrap image", () => {
    it("is created once, public and active, with placeholder data", async () => {
      const id = await images.ensureBootstrapImage();
      expect(await images.ensureBootstrapImage()).toBe(id);
      const data = bootstrapImageData();
      const image = await images.get(BOB, id);
      expect(image).toMatchObject({
        name: BOOTSTRAP_IMAGE_NAME,
        status: "active",
        visibility: "public",
        diskFormat: "qcow2",
        containerFormat: "bare",
        size: data.length,
        checksum: md5(data),
        properties: { nimbus_placeholder: "true" },
      });
      expect((await images.list(ADMIN, { names: [BOOTSTRAP_IMAGE_NAME] })).images).toHaveLength(1);
      expect(readFileSync((await images.dataPath(id))!)).toEqual(data);
    });

    it("repairs missing data and is recreated when deleted", async () => {
      const id = await images.ensureBootstrapImage();
      const file = (await images.dataPath(id))!;
      rmSync(file);
      expect(await images.ensureBootstrapImage()).toBe(id);
      expect(existsSync(file)).toBe(true);
      await images.delete(ADMIN, id);
      expect(await images.ensureBootstrapImage()).toBe(id);
      expect((await images.get(ALICE, id)).status).toBe("active");
    });
  });
});
