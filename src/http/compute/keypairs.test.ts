import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSshKey, generateX509 } from "../../services/compute/ssh-keys.js";
import {
  call,
  keys,
  MEMBER_PROJECT,
  resourcesApp,
  sample,
  type TestApp,
  TOKENS,
} from "./resources-test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await resourcesApp();
});
afterAll(async () => t.close());

const hasOpenssl = (() => {
  try {
    execFileSync("which", ["openssl"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const create = (keypair: Record<string, unknown>, opts: { version?: string; token?: string } = {}) =>
  call(t.app, { method: "POST", url: "/os-keypairs", body: { keypair }, ...opts });

describe("POST /os-keypairs", () => {
  it.each([
    [undefined, 200, "os-keypairs/keypairs-post-resp.json"],
    ["2.2", 201, "os-keypairs/v2.2/keypairs-post-resp.json"],
    ["2.10", 201, "os-keypairs/v2.10/keypairs-post-resp.json"],
    ["2.35", 201, "os-keypairs/v2.35/keypairs-post-resp.json"],
  ])("generates a key at %s: %i with nova's keys", async (version, status, file) => {
    const r = await create(
      { name: `gen-${version ?? "2.1"}`.replace(/\./g, "_") },
      { version, token: "member" },
    );
    expect(r.status).toBe(status);
    expect(keys(r.json.keypair)).toEqual(keys(sample(file).keypair));
    expect(r.json.keypair.private_key).toContain("-----BEGIN RSA PRIVATE KEY-----");
    expect(r.json.keypair.user_id).toBe(TOKENS.member!.userId);
  });

  it.each([
    [undefined, 200, "os-keypairs/keypairs-import-post-resp.json"],
    ["2.2", 201, "os-keypairs/v2.2/keypairs-import-post-resp.json"],
    ["2.92", 201, "os-keypairs/v2.92/keypairs-import-post-resp.json"],
  ])("imports a key at %s: %i with nova's keys", async (version, status, file) => {
    const req = sample("os-keypairs/v2.92/keypairs-import-post-req.json").keypair;
    const name = `imp-${version ?? "2.1"}`.replace(/\./g, "_");
    const r = await create({ name, public_key: req.public_key }, { version, token: "member" });
    expect(r.status).toBe(status);
    expect(keys(r.json.keypair)).toEqual(keys(sample(file).keypair));
    expect(r.json.keypair.fingerprint).toBe(
      sample("os-keypairs/v2.92/keypairs-import-post-resp.json").keypair.fingerprint,
    );
  });

  it("from 2.92 needs a public key and allows @ and . in names", async () => {
    const generate = await create({ name: "nokey" }, { version: "2.92" });
    expect(generate.status).toBe(400);
    const req = sample("os-keypairs/v2.92/keypairs-import-post-req.json").keypair;
    const dotted = await create(
      { name: req.name, type: "ssh", public_key: req.public_key },
      { version: "2.92" },
    );
    expect(dotted.status).toBe(201);
    expect(dotted.json.keypair.name).toBe("me.and.myself@this.nice.domain.com mooh.");
    expect((await create({ name: "a@b", public_key: req.public_key }, { version: "2.91" })).status).toBe(400);
  });

  it("refuses junk keys, duplicate names and unknown types", async () => {
    const junk = await create({ name: "junk", public_key: "ssh-rsa not-a-key" });
    expect(junk.status).toBe(400);
    expect(junk.json.badRequest.message).toBe("Keypair data is invalid: failed to generate fingerprint");
    await create({ name: "dup" });
    const dup = await create({ name: "dup" });
    expect(dup.status).toBe(409);
    expect(dup.json.conflictingRequest.message).toBe("Key pair 'dup' already exists.");
    expect((await create({ name: "t", type: "gpg" }, { version: "2.2" })).status).toBe(400);
    // type arrives with 2.2
    expect((await create({ name: "t", type: "ssh" })).status).toBe(400);
  });

  it.skipIf(!hasOpenssl)("imports and generates x509 certificates", async () => {
    const cert = await generateX509("someone");
    const imported = await create(
      { name: "cert", type: "x509", public_key: cert.publicKey },
      { version: "2.2" },
    );
    expect(imported.status).toBe(201);
    expect(imported.json.keypair).toMatchObject({ type: "x509", fingerprint: cert.fingerprint });
    const generated = await create({ name: "gencert", type: "x509" }, { version: "2.2" });
    expect(generated.status).toBe(201);
    expect(generated.json.keypair.public_key).toContain("BEGIN CERTIFICATE");
    const bad = await create({ name: "badcert", type: "x509", public_key: "nope" }, { version: "2.2" });
    expect(bad.status).toBe(400);
    expect(bad.json.badRequest.message).toMatch(
      /^Keypair data is invalid: failed to generate X509 fingerprint/,
    );
  });

  it("lets admins (only) create keypairs for other users from 2.10", async () => {
    const { publicKey } = await generateSshKey();
    const admin = await create(
      { name: "for-someone", public_key: publicKey, user_id: "someone" },
      { version: "2.10" },
    );
    expect(admin.status).toBe(201);
    expect(admin.json.keypair.user_id).toBe("someone");
    const member = await create({ name: "x", user_id: "someone" }, { version: "2.10", token: "member" });
    expect(member.status).toBe(403);
    expect(member.json.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-keypairs:create to be performed.",
    );
    // before 2.10 user_id is not part of the body
    expect((await create({ name: "y", user_id: "someone" }, { version: "2.9" })).status).toBe(400);
  });
});

describe("GET /os-keypairs and /os-keypairs/{id}", () => {
  beforeAll(async () => {
    const { publicKey } = await generateSshKey();
    for (const name of ["lb", "la", "lc"]) {
      expect((await create({ name, public_key: publicKey }, { token: "other" })).status).toBe(200);
    }
  });

  it.each([
    [undefined, "os-keypairs/keypairs-list-resp.json"],
    ["2.2", "os-keypairs/v2.2/keypairs-list-resp.json"],
    ["2.35", "os-keypairs/v2.35/keypairs-list-user1-resp.json"],
  ])("lists the caller's keypairs by name with nova's keys at %s", async (version, file) => {
    const r = await call(t.app, { url: "/os-keypairs", version, token: "other" });
    expect(r.status).toBe(200);
    expect(r.json.keypairs.map((k: { keypair: { name: string } }) => k.keypair.name)).toEqual([
      "la",
      "lb",
      "lc",
    ]);
    expect(keys(r.json.keypairs[0].keypair)).toEqual(keys(sample(file).keypairs[0].keypair));
    expect(r.json).not.toHaveProperty("keypairs_links");
  });

  it("pages from 2.35 with a name marker and keypairs_links", async () => {
    const first = await call(t.app, { url: "/os-keypairs?limit=1", version: "2.35", token: "other" });
    expect(first.json.keypairs.map((k: { keypair: { name: string } }) => k.keypair.name)).toEqual(["la"]);
    expect(first.json.keypairs_links).toEqual([
      { href: "http://localhost:80/compute/v2.1/os-keypairs?limit=1&marker=la", rel: "next" },
    ]);
    const next = await call(t.app, {
      url: "/os-keypairs?limit=5&marker=la",
      version: "2.35",
      token: "other",
    });
    expect(next.json.keypairs.map((k: { keypair: { name: string } }) => k.keypair.name)).toEqual([
      "lb",
      "lc",
    ]);
    const bad = await call(t.app, { url: "/os-keypairs?marker=zz", version: "2.35", token: "other" });
    expect(bad.status).toBe(400);
    expect(bad.json.badRequest.message).toBe("Marker zz could not be found.");
    // limit is not a parameter before 2.35
    const old = await call(t.app, { url: "/os-keypairs?limit=1", version: "2.34", token: "other" });
    expect(old.json.keypairs).toHaveLength(3);
  });

  it.each([
    [undefined, "os-keypairs/keypairs-get-resp.json"],
    ["2.2", "os-keypairs/v2.2/keypairs-get-resp.json"],
    ["2.10", "os-keypairs/v2.10/keypairs-get-resp.json"],
  ])("shows a keypair with nova's keys at %s", async (version, file) => {
    const r = await call(t.app, { url: "/os-keypairs/la", version, token: "other" });
    expect(r.status).toBe(200);
    expect(keys(r.json.keypair)).toEqual(keys(sample(file).keypair));
    expect(r.json.keypair).toMatchObject({ deleted: false, deleted_at: null, updated_at: null });
    expect(r.json.keypair.id).toEqual(expect.any(Number));
    expect(r.json.keypair.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  });

  it("404s for another user's keypair name and lets admins look with user_id from 2.10", async () => {
    const mine = await call(t.app, { url: "/os-keypairs/la", token: "member" });
    expect(mine.status).toBe(404);
    expect(mine.json.itemNotFound.message).toBe(`Keypair la not found for user ${TOKENS.member!.userId}`);
    const otherUser = TOKENS.other!.userId;
    const admin = await call(t.app, { url: `/os-keypairs/la?user_id=${otherUser}`, version: "2.10" });
    expect(admin.status).toBe(200);
    const list = await call(t.app, { url: `/os-keypairs?user_id=${otherUser}`, version: "2.10" });
    expect(list.json.keypairs).toHaveLength(3);
    const member = await call(t.app, {
      url: `/os-keypairs?user_id=${otherUser}`,
      version: "2.10",
      token: "member",
    });
    expect(member.status).toBe(403);
    expect(member.json.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-keypairs:index to be performed.",
    );
    expect(
      (await call(t.app, { url: `/os-keypairs/la?user_id=${otherUser}`, version: "2.10", token: "member" }))
        .status,
    ).toBe(403);
  });
});

describe("DELETE /os-keypairs/{id}", () => {
  it("answers 202 until 2.1 and 204 from 2.2, then 404", async () => {
    await create({ name: "d1" });
    await create({ name: "d2" });
    const v21 = await call(t.app, { method: "DELETE", url: "/os-keypairs/d1" });
    expect(v21.status).toBe(202);
    const v22 = await call(t.app, { method: "DELETE", url: "/os-keypairs/d2", version: "2.2" });
    expect(v22.status).toBe(204);
    expect(v22.text).toBe("");
    expect((await call(t.app, { method: "DELETE", url: "/os-keypairs/d2", version: "2.2" })).status).toBe(
      404,
    );
  });

  it("lets admins delete another user's keypair with user_id; others get 403", async () => {
    const { publicKey } = await generateSshKey();
    await create({ name: "victim", public_key: publicKey }, { token: "other" });
    const otherUser = TOKENS.other!.userId;
    const member = await call(t.app, {
      method: "DELETE",
      url: `/os-keypairs/victim?user_id=${otherUser}`,
      version: "2.10",
      token: "member",
    });
    expect(member.status).toBe(403);
    const admin = await call(t.app, {
      method: "DELETE",
      url: `/os-keypairs/victim?user_id=${otherUser}`,
      version: "2.10",
    });
    expect(admin.status).toBe(204);
  });
});

describe("key_pairs quota", () => {
  it("is enforced under concurrency: never more keypairs than the limit", async () => {
    await t.quotas.update(MEMBER_PROJECT, { key_pairs: 3 }, { force: false });
    const { publicKey } = await generateSshKey();
    const before = (await t.keypairs.list(TOKENS.member!.userId)).length;
    await t.quotas.update(MEMBER_PROJECT, { key_pairs: before + 3 }, { force: false });
    const results = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        create({ name: `q${i}`, public_key: publicKey }, { version: "2.2", token: "member" }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(12);
    for (const r of refused) {
      expect(r.status).toBe(403);
      expect(r.json.forbidden.message).toBe("Quota exceeded, too many key pairs.");
    }
    expect(await t.keypairs.list(TOKENS.member!.userId)).toHaveLength(before + 3);
  });
});
