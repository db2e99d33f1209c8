import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../store/database.js";
import { insertTestInstance, openTestDatabase } from "../../store/testing.js";
import { InvalidInput, QuotaExceeded } from "../errors.js";
import { QUOTA_DEFAULTS, QuotaService } from "./quota-service.js";

const P = "0123456789abcdef0123456789abcdef";

describe("QuotaService", () => {
  let db: Db;
  let close: () => Promise<void>;
  let quotas: QuotaService;

  beforeEach(async () => {
    ({ db, close } = await openTestDatabase());
    quotas = new QuotaService(db);
  });
  afterEach(async () => close());

  it("starts every project on nova's defaults", async () => {
    expect(await quotas.limitsFor(P)).toEqual({
      instances: 10,
      cores: 20,
      ram: 51200,
      metadata_items: 128,
      key_pairs: 100,
      server_groups: 10,
      server_group_members: 10,
      injected_files: 5,
      injected_file_content_bytes: 10240,
      injected_file_path_bytes: 255,
      floating_ips: -1,
      fixed_ips: -1,
      security_groups: -1,
      security_group_rules: -1,
    });
  });

  it("counts live servers of the project only", async () => {
    await insertTestInstance(db, { projectId: P, vcpus: 2, memoryMb: 512 });
    await insertTestInstance(db, { projectId: P, vcpus: 4, memoryMb: 1024, userId: "other" });
    await insertTestInstance(db, { projectId: P, vcpus: 8, memoryMb: 4096, deleted: true });
    await insertTestInstance(db, { projectId: "elsewhere", vcpus: 8, memoryMb: 4096 });
    const detail = await quotas.detailFor(P);
    expect(detail.instances).toEqual({ limit: 10, in_use: 2, reserved: 0 });
    expect(detail.cores.in_use).toBe(6);
    expect(detail.ram.in_use).toBe(1536);
    expect(detail.key_pairs.in_use).toBe(0);
    expect((await quotas.detailFor(P, "other")).instances.in_use).toBe(1);
  });

  it("refuses servers over the limit with nova's TooManyInstances message", async () => {
    await quotas.update(P, { instances: 2 }, { force: false });
    await insertTestInstance(db, { projectId: P, vcpus: 1, memoryMb: 512 });
    await quotas.checkInstances(db, P, { instances: 1, cores: 1, ram: 512 });
    await insertTestInstance(db, { projectId: P, vcpus: 1, memoryMb: 512 });
    const error = await quotas
      .checkInstances(db, P, { instances: 1, cores: 1, ram: 512 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaExceeded);
    expect((error as Error).message).toBe(
      "Quota exceeded for instances: Requested 1, but already used 2 of 2 instances",
    );
  });

  it("names every resource over its limit, in nova's order", async () => {
    await insertTestInstance(db, { projectId: P, vcpus: 18, memoryMb: 50000 });
    await expect(quotas.checkInstances(db, P, { instances: 1, cores: 4, ram: 8192 })).rejects.toThrow(
      "Quota exceeded for cores, ram: Requested 4, 8192, but already used 18, 50000 of 20, 51200 cores, ram",
    );
  });

  it("treats -1 as unlimited and never refuses a shrink", async () => {
    await quotas.update(P, { cores: -1 }, { force: false });
    await quotas.checkInstances(db, P, { instances: 1, cores: 1000, ram: 1 });
    await quotas.update(P, { instances: 0 }, { force: false });
    await quotas.checkInstances(db, P, { instances: 0, cores: 1, ram: 1 });
    await expect(quotas.checkInstances(db, P, { instances: 1, cores: 1, ram: 1 })).rejects.toBeInstanceOf(
      QuotaExceeded,
    );
  });

  it("takes the project's lock row inside the caller's transaction", async () => {
    await db
      .transaction()
      .execute((trx) => quotas.checkInstances(trx, P, { instances: 1, cores: 1, ram: 1 }));
    await quotas.checkInstances(db, P, { instances: 1, cores: 1, ram: 1 });
    const row = await db.selectFrom("quota_locks").selectAll().where("project_id", "=", P).executeTakeFirst();
    expect(row?.version).toBe(2);
  });

  it("never lets concurrent creates overshoot the instance limit", async () => {
    await quotas.update(P, { instances: 5 }, { force: false });
    const attempts = Array.from({ length: 25 }, () =>
      db.transaction().execute(async (trx) => {
        await quotas.checkInstances(trx, P, { instances: 1, cores: 1, ram: 64 });
        await insertTestInstance(trx as unknown as Db, { projectId: P, vcpus: 1, memoryMb: 64 });
      }),
    );
    const results = await Promise.allSettled(attempts);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(5);
    expect(
      results.filter((r) => r.status === "rejected").every((r) => r.reason instanceof QuotaExceeded),
    ).toBe(true);
    expect((await quotas.usageFor(P)).instances).toBe(5);
  });

  it("refuses a limit below usage unless forced", async () => {
    await insertTestInstance(db, { projectId: P, vcpus: 4, memoryMb: 512 });
    await insertTestInstance(db, { projectId: P, vcpus: 4, memoryMb: 512 });
    await expect(quotas.update(P, { instances: 1, cores: 100 }, { force: false })).rejects.toThrow(
      new InvalidInput(
        "Quota limit 1 for instances must be greater than or equal to already used and reserved 2.",
      ),
    );
    // nothing of a refused update is written
    expect((await quotas.limitsFor(P)).cores).toBe(20);
    expect((await quotas.update(P, { instances: 1 }, { force: true })).instances).toBe(1);
    expect((await quotas.update(P, { cores: -1 }, { force: false })).cores).toBe(-1);
  });

  it("reset brings a project back to the defaults", async () => {
    await quotas.update(P, { instances: 3, key_pairs: 7 }, { force: false });
    await quotas.reset(P);
    expect(await quotas.limitsFor(P)).toEqual(QUOTA_DEFAULTS);
  });

  it("checks metadata items against metadata_items", async () => {
    await quotas.checkMetadataItems(P, 128);
    await expect(quotas.checkMetadataItems(P, 129)).rejects.toThrow(
      new QuotaExceeded("Maximum number of metadata items exceeds 128"),
    );
    await quotas.update(P, { metadata_items: -1 }, { force: false });
    await quotas.checkMetadataItems(P, 100000);
  });

  it("counts key pairs per user against the project's key_pairs limit", async () => {
    await quotas.update(P, { key_pairs: 1 }, { force: false });
    await quotas.checkKeypairs(db, P, "alice");
    await db
      .insertInto("keypairs")
      .values({
        user_id: "alice",
        name: "k",
        project_id: randomUUID(),
        type: "ssh",
        public_key: "x",
        fingerprint: "y",
        created_at: new Date().toISOString(),
      })
      .execute();
    await expect(quotas.checkKeypairs(db, P, "alice")).rejects.toThrow("Quota exceeded, too many key pairs.");
    await quotas.checkKeypairs(db, P, "bob");
  });

  describe("per-user limits", () => {
    it("give a user the project's limits until an admin sets the user's own", async () => {
      await quotas.update(P, { cores: 12 }, { force: false });
      expect(await quotas.userLimitsFor(P, "alice")).toEqual(await quotas.limitsFor(P));
      await quotas.update(P, { instances: 3 }, { force: false, userId: "alice" });
      expect((await quotas.userLimitsFor(P, "alice")).instances).toBe(3);
      expect((await quotas.userLimitsFor(P, "alice")).cores).toBe(12);
      expect((await quotas.limitsFor(P)).instances).toBe(10);
      expect((await quotas.userLimitsFor(P, "bob")).instances).toBe(10);
    });

    it("keep a user's limit within what the project has not given to its other users", async () => {
      await quotas.update(P, { instances: 6 }, { force: false, userId: "alice" });
      await expect(quotas.update(P, { instances: 5 }, { force: false, userId: "bob" })).rejects.toThrow(
        new InvalidInput("Quota limit 5 for instances must be less than or equal to 4."),
      );
      // the user's own limit counts back into the range: alice may go up to 10
      expect((await quotas.update(P, { instances: 10 }, { force: false, userId: "alice" })).instances).toBe(
        10,
      );
      await expect(quotas.update(P, { instances: 1 }, { force: false, userId: "bob" })).rejects.toThrow(
        new InvalidInput("Quota limit 1 for instances must be less than or equal to 0."),
      );
      // unlimited is above any maximum, and force skips the range
      await expect(quotas.update(P, { cores: -1 }, { force: false, userId: "bob" })).rejects.toThrow(
        new InvalidInput("Quota limit -1 for cores must be less than or equal to 20."),
      );
      expect((await quotas.update(P, { instances: 5 }, { force: true, userId: "bob" })).instances).toBe(5);
    });

    it("keep a user's limit at or above that user's usage, and a project's above what it gave out", async () => {
      await insertTestInstance(db, { projectId: P, userId: "alice", vcpus: 1, memoryMb: 64 });
      await insertTestInstance(db, { projectId: P, userId: "alice", vcpus: 1, memoryMb: 64 });
      await insertTestInstance(db, { projectId: P, userId: "bob", vcpus: 1, memoryMb: 64 });
      await expect(quotas.update(P, { instances: 1 }, { force: false, userId: "alice" })).rejects.toThrow(
        new InvalidInput(
          "Quota limit 1 for instances must be greater than or equal to already used and reserved 2.",
        ),
      );
      await quotas.update(P, { instances: 7 }, { force: false, userId: "alice" });
      await expect(quotas.update(P, { instances: 6 }, { force: false })).rejects.toThrow(
        new InvalidInput(
          "Quota limit 6 for instances must be greater than or equal to already used and reserved 7.",
        ),
      );
      expect((await quotas.update(P, { instances: 7 }, { force: false })).instances).toBe(7);
    });

    it("set the project's limit for the resources nova keeps per project only", async () => {
      await quotas.update(P, { floating_ips: 4, cores: 3 }, { force: false, userId: "alice" });
      expect((await quotas.limitsFor(P)).floating_ips).toBe(4);
      expect((await quotas.limitsFor(P)).cores).toBe(20);
      expect((await quotas.userLimitsFor(P, "bob")).floating_ips).toBe(4);
    });

    it("hold a user with limits of their own to them, counting that user's servers", async () => {
      await quotas.update(P, { instances: 2 }, { force: false, userId: "alice" });
      await insertTestInstance(db, { projectId: P, userId: "alice", vcpus: 1, memoryMb: 64 });
      await insertTestInstance(db, { projectId: P, userId: "bob", vcpus: 1, memoryMb: 64 });
      await insertTestInstance(db, { projectId: P, userId: "bob", vcpus: 1, memoryMb: 64 });
      await quotas.checkInstances(db, P, { instances: 1, cores: 1, ram: 64 }, "alice");
      await insertTestInstance(db, { projectId: P, userId: "alice", vcpus: 1, memoryMb: 64 });
      await expect(
        quotas.checkInstances(db, P, { instances: 1, cores: 1, ram: 64 }, "alice"),
      ).rejects.toThrow(
        new QuotaExceeded("Quota exceeded for instances: Requested 1, but already used 2 of 2 instances"),
      );
      // bob has no limits of his own: the project's 10 hold him
      await quotas.checkInstances(db, P, { instances: 6, cores: 1, ram: 64 }, "bob");
      await expect(quotas.checkInstances(db, P, { instances: 7, cores: 1, ram: 64 }, "bob")).rejects.toThrow(
        new QuotaExceeded("Quota exceeded for instances: Requested 7, but already used 4 of 10 instances"),
      );
    });

    it("never let a user's concurrent creates overshoot the user's limit", async () => {
      await quotas.update(P, { instances: 3 }, { force: false, userId: "alice" });
      const attempts = Array.from({ length: 12 }, () =>
        db.transaction().execute(async (trx) => {
          await quotas.checkInstances(trx, P, { instances: 1, cores: 1, ram: 64 }, "alice");
          await insertTestInstance(trx as unknown as Db, {
            projectId: P,
            userId: "alice",
            vcpus: 1,
            memoryMb: 64,
          });
        }),
      );
      const results = await Promise.allSettled(attempts);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(3);
      expect((await quotas.usageFor(P, "alice")).instances).toBe(3);
    });

    it("hold metadata items, key pairs and server groups to the tighter of the two limits", async () => {
      await quotas.update(
        P,
        { metadata_items: 2, key_pairs: 0, server_groups: 0 },
        { force: false, userId: "alice" },
      );
      await quotas.checkMetadataItems(P, 2, "alice");
      await expect(quotas.checkMetadataItems(P, 3, "alice")).rejects.toThrow(
        new QuotaExceeded("Maximum number of metadata items exceeds 2"),
      );
      await quotas.checkMetadataItems(P, 3, "bob");
      await expect(quotas.checkKeypairs(db, P, "alice")).rejects.toThrow(
        "Quota exceeded, too many key pairs.",
      );
      await quotas.checkKeypairs(db, P, "bob");
      await expect(quotas.checkServerGroups(db, P, "alice")).rejects.toThrow(
        "Quota exceeded, too many server groups.",
      );
      await quotas.checkServerGroups(db, P, "bob");
    });

    it("are dropped with the user's reset, and with the project's", async () => {
      await quotas.update(P, { instances: 3 }, { force: false, userId: "alice" });
      await quotas.update(P, { instances: 4 }, { force: false, userId: "bob" });
      await quotas.reset(P, "alice");
      expect((await quotas.userLimitsFor(P, "alice")).instances).toBe(10);
      expect((await quotas.userLimitsFor(P, "bob")).instances).toBe(4);
      await quotas.reset(P);
      expect((await quotas.userLimitsFor(P, "bob")).instances).toBe(10);
    });
  });
});
