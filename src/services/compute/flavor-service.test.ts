import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestDatabase } from "../../store/testing.js";
import type { AuthContext } from "../context.js";
import { Conflict, FlavorNotFound, InvalidInput, NotFound } from "../errors.js";
import { FlavorService, flavorIdFromRef } from "./flavor-service.js";

const ctx = (projectId: string, isAdmin = false): AuthContext => ({
  userId: `user-${projectId}`,
  userName: "u",
  projectId,
  projectName: "p",
  roles: isAdmin ? ["admin", "member", "reader"] : ["member", "reader"],
  isAdmin,
  requestId: "req-1",
});

const ADMIN = ctx("a".repeat(32), true);
const ALICE = ctx("b".repeat(32));
const BOB = ctx("c".repeat(32));

const spec = (name: string, extra: Partial<Parameters<FlavorService["create"]>[0]> = {}) => ({
  name,
  vcpus: 1,
  memory_mb: 256,
  root_gb: 1,
  ...extra,
});

describe("FlavorService", () => {
  let flavors: FlavorService;
  let close: () => Promise<void>;

  beforeEach(async () => {
    const t = await openTestDatabase();
    close = t.close;
    flavors = new FlavorService(t.db);
  });
  afterEach(async () => close());

  it("creates nova's default flavors once", async () => {
    expect(await flavors.ensureDefaults()).toBe(7);
    expect(await flavors.ensureDefaults()).toBe(0);
    const all = await flavors.list(ALICE, { limit: 1000 });
    expect(all.map((f) => [f.flavorid, f.name, f.vcpus, f.memory_mb, f.root_gb])).toEqual([
      ["1", "m1.tiny", 1, 512, 1],
      ["2", "m1.small", 1, 2048, 20],
      ["3", "m1.medium", 2, 4096, 40],
      ["4", "m1.large", 4, 8192, 80],
      ["42", "m1.nano", 1, 128, 1],
      ["5", "m1.xlarge", 8, 16384, 160],
      ["84", "m1.micro", 1, 192, 1],
    ]);
    expect(all.every((f) => f.is_public && !f.disabled && f.swap === 0 && f.rxtx_factor === 1)).toBe(true);
  });

  it("gets a flavor by id or by URL, with its extra specs", async () => {
    await flavors.ensureDefaults();
    await flavors.setExtraSpecs(ADMIN, "1", { "hw:cpu_policy": "dedicated" });
    expect((await flavors.get(ALICE, "1")).extraSpecs).toEqual({ "hw:cpu_policy": "dedicated" });
    expect((await flavors.get(ALICE, "http://cloud/compute/v2.1/flavors/2")).name).toBe("m1.small");
    await expect(flavors.get(ALICE, "nope")).rejects.toThrow(new FlavorNotFound("nope"));
    expect(flavorIdFromRef("http://h/compute/v2.1/p/flavors/84?x=1")).toBe("84");
  });

  it("generates a UUID id when none is given and refuses duplicates", async () => {
    const made = await flavors.create(spec("f1", { flavorid: null }));
    expect(made.flavorid).toMatch(/^[0-9a-f-]{36}$/);
    await flavors.create(spec("f2", { flavorid: "x2" }));
    await expect(flavors.create(spec("f3", { flavorid: "x2" }))).rejects.toThrow(
      new Conflict("Flavor with ID x2 already exists."),
    );
    await expect(flavors.create(spec(" f2 "))).rejects.toThrow(
      new Conflict("Flavor with name f2 already exists."),
    );
  });

  it("shows private flavors only to admins and to projects they are shared with", async () => {
    await flavors.create(spec("secret", { flavorid: "s", is_public: false }));
    await flavors.addAccess(ADMIN, "s", ALICE.projectId!);
    expect((await flavors.get(ALICE, "s")).is_public).toBe(false);
    await expect(flavors.get(BOB, "s")).rejects.toBeInstanceOf(FlavorNotFound);
    expect((await flavors.list(BOB, { limit: 10 })).map((f) => f.flavorid)).toEqual([]);
    expect((await flavors.list(ALICE, { limit: 10 })).map((f) => f.flavorid)).toEqual(["s"]);
    // admins: public (and shared with them) by default, private ones with false, everything with null
    expect(await flavors.list(ADMIN, { limit: 10 })).toEqual([]);
    expect((await flavors.list(ADMIN, { limit: 10, isPublic: false })).map((f) => f.flavorid)).toEqual(["s"]);
    expect((await flavors.list(ADMIN, { limit: 10, isPublic: null })).map((f) => f.flavorid)).toEqual(["s"]);
    await expect(flavors.addAccess(ADMIN, "s", ALICE.projectId!)).rejects.toBeInstanceOf(Conflict);
    expect(await flavors.removeAccess(ADMIN, "s", ALICE.projectId!)).toEqual([]);
    await expect(flavors.removeAccess(ADMIN, "s", ALICE.projectId!)).rejects.toThrow(
      new NotFound(`Flavor access not found for s / ${ALICE.projectId} combination.`),
    );
    await expect(flavors.get(ALICE, "s")).rejects.toBeInstanceOf(FlavorNotFound);
  });

  it("filters, sorts and pages", async () => {
    await flavors.ensureDefaults();
    const ids = async (q: Parameters<FlavorService["list"]>[1]) =>
      (await flavors.list(ALICE, q)).map((f) => f.flavorid);
    expect(await ids({ limit: 10, minMemoryMb: 4096 })).toEqual(["3", "4", "5"]);
    expect(await ids({ limit: 10, minRootGb: 40, sortKey: "memory_mb", sortDir: "desc" })).toEqual([
      "5",
      "4",
      "3",
    ]);
    expect(await ids({ limit: 10, name: "^m1\\.(nano|micro)$" })).toEqual(["42", "84"]);
    expect(await ids({ limit: 2, sortKey: "vcpus", sortDir: "asc" })).toEqual(["1", "2"]);
    expect(await ids({ limit: 3, sortKey: "vcpus", sortDir: "asc", marker: "2" })).toEqual(["42", "84", "3"]);
    expect(await ids({ limit: 10, sortKey: "description", marker: "5" })).toEqual(["84"]);
    await expect(flavors.list(ALICE, { limit: 1, marker: "zzz" })).rejects.toThrow(
      new InvalidInput("marker [zzz] not found"),
    );
  });

  it("updates descriptions, deletes flavors and extra specs", async () => {
    await flavors.ensureDefaults();
    expect((await flavors.updateDescription(ADMIN, "1", "tiny")).description).toBe("tiny");
    await flavors.setExtraSpecs(ADMIN, "1", { a: "1", b: "2" });
    await flavors.setExtraSpecs(ADMIN, "1", { a: "3" });
    expect((await flavors.get(ADMIN, "1")).extraSpecs).toEqual({ a: "3", b: "2" });
    await flavors.deleteExtraSpec(ADMIN, "1", "a");
    await expect(flavors.deleteExtraSpec(ADMIN, "1", "a")).rejects.toThrow(
      "Flavor 1 has no extra specs with key a.",
    );
    await flavors.delete("1");
    await expect(flavors.delete("1")).rejects.toThrow(new FlavorNotFound("1"));
    await expect(flavors.get(ADMIN, "1")).rejects.toBeInstanceOf(FlavorNotFound);
  });
});
