import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestDatabase } from "../../store/testing.js";
import type { AuthContext } from "../context.js";
import { Conflict, InvalidInput, KeypairNotFound, QuotaExceeded } from "../errors.js";
import { QuotaService } from "../quota/quota-service.js";
import { KeypairService } from "./keypair-service.js";
import { generateSshKey } from "./ssh-keys.js";

const P = "0123456789abcdef0123456789abcdef";
const ALICE: AuthContext = {
  userId: "alice",
  userName: "alice",
  projectId: P,
  projectName: "demo",
  roles: ["member", "reader"],
  isAdmin: false,
  requestId: "req-1",
};

describe("KeypairService", () => {
  let keypairs: KeypairService;
  let quotas: QuotaService;
  let close: () => Promise<void>;

  beforeEach(async () => {
    const t = await openTestDatabase();
    close = t.close;
    quotas = new QuotaService(t.db);
    keypairs = new KeypairService(t.db, quotas);
  });
  afterEach(async () => close());

  it("imports a public key, numbering keypairs", async () => {
    const { publicKey, fingerprint } = await generateSshKey();
    const first = await keypairs.create(ALICE, { userId: "alice", name: "k1", type: "ssh", publicKey });
    expect(first.privateKey).toBeUndefined();
    expect(first.keypair).toMatchObject({
      id: 1,
      name: "k1",
      userId: "alice",
      projectId: P,
      fingerprint,
      publicKey,
    });
    const second = await keypairs.create(ALICE, { userId: "alice", name: "k2", type: "ssh", publicKey });
    expect(second.keypair.id).toBe(2);
    expect(await keypairs.get("alice", "k1")).toEqual(first.keypair);
    expect(await keypairs.find("alice", "nope")).toBeUndefined();
  });

  it("generates a key when none is given", async () => {
    const { keypair, privateKey } = await keypairs.create(ALICE, {
      userId: "alice",
      name: "gen",
      type: "ssh",
    });
    expect(privateKey).toContain("BEGIN RSA PRIVATE KEY");
    expect(keypair.publicKey).toMatch(/^ssh-rsa \S+ Generated-by-Nova$/);
  });

  it("refuses junk keys and duplicate names with nova's messages", async () => {
    await expect(
      keypairs.create(ALICE, { userId: "alice", name: "bad", type: "ssh", publicKey: "junk" }),
    ).rejects.toThrow(new InvalidInput("Keypair data is invalid: failed to generate fingerprint"));
    await keypairs.create(ALICE, { userId: "alice", name: "dup", type: "ssh" });
    await expect(keypairs.create(ALICE, { userId: "alice", name: "dup", type: "ssh" })).rejects.toThrow(
      new Conflict("Key pair 'dup' already exists."),
    );
    // the same name is fine for another user
    await keypairs.create(ALICE, { userId: "bob", name: "dup", type: "ssh" });
  });

  it("lists by name with marker paging and deletes", async () => {
    for (const name of ["c", "a", "b"]) await keypairs.create(ALICE, { userId: "alice", name, type: "ssh" });
    expect((await keypairs.list("alice")).map((k) => k.name)).toEqual(["a", "b", "c"]);
    expect((await keypairs.list("alice", { limit: 1, marker: "a" })).map((k) => k.name)).toEqual(["b"]);
    await expect(keypairs.list("alice", { marker: "zz" })).rejects.toThrow(
      new InvalidInput("Marker zz could not be found."),
    );
    await keypairs.delete("alice", "a");
    await expect(keypairs.delete("alice", "a")).rejects.toThrow(new KeypairNotFound("alice", "a"));
    await expect(keypairs.get("alice", "a")).rejects.toThrow("Keypair a not found for user alice");
  });

  it("never lets concurrent creates pass the key_pairs quota", async () => {
    await quotas.update(P, { key_pairs: 4 }, { force: false });
    const { publicKey } = await generateSshKey();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        keypairs.create(ALICE, { userId: "alice", name: `k${i}`, type: "ssh", publicKey }),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(4);
    for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(QuotaExceeded);
    expect(await keypairs.list("alice")).toHaveLength(4);
  });

  it("checks the quota before the key, as nova does", async () => {
    await quotas.update(P, { key_pairs: 0 }, { force: false });
    await expect(
      keypairs.create(ALICE, { userId: "alice", name: "x", type: "ssh", publicKey: "junk" }),
    ).rejects.toBeInstanceOf(QuotaExceeded);
  });
});
