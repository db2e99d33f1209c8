/** `/servers/{id}/os-server-password` through inject(): reading, clearing, nova's policies. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComputeHarness, computeHarness } from "../../../test/compute-harness.js";

let h: ComputeHarness;
/** A token of a user with only the reader role on the demo project. */
let readerToken: string;

beforeAll(async () => {
  h = await computeHarness();
  const admin = { "x-auth-token": h.tokens.admin };
  const user = await h.app.inject({
    method: "POST",
    url: "/identity/v3/users",
    headers: admin,
    payload: { user: { name: "reader", password: "reader-secret-1" } },
  });
  const roles = await h.app.inject({ method: "GET", url: "/identity/v3/roles?name=reader", headers: admin });
  await h.app.inject({
    method: "PUT",
    url: `/identity/v3/projects/${h.projects.demo}/users/${user.json().user.id}/roles/${roles.json().roles[0].id}`,
    headers: admin,
  });
  const login = await h.app.inject({
    method: "POST",
    url: "/identity/v3/auth/tokens",
    payload: {
      auth: {
        identity: {
          methods: ["password"],
          password: { user: { name: "reader", domain: { name: "Default" }, password: "reader-secret-1" } },
        },
        scope: { project: { id: h.projects.demo } },
      },
    },
  });
  readerToken = String(login.headers["x-subject-token"]);
});
afterAll(async () => h.close());

const passwordOf = (id: string) => `/servers/${id}/os-server-password`;

describe("os-server-password", () => {
  it("reads the encrypted password the guest left ('' when none) and clears it (204)", async () => {
    const id = await h.activeServer({ name: "pw" });
    expect(await h.call({ url: passwordOf(id) })).toMatchObject({ status: 200, json: { password: "" } });
    // what a guest posts to the metadata service: its password, encrypted with the server's key
    await h.nimbus.compute.instances.update(h.nimbus.db, id, { admin_pass: "xlozO3wLCBRWAa2yDjCCVx8vw==" });
    expect((await h.call({ url: passwordOf(id) })).json).toEqual({ password: "xlozO3wLCBRWAa2yDjCCVx8vw==" });
    const cleared = await h.call({ method: "DELETE", url: passwordOf(id) });
    expect(cleared.status).toBe(204);
    expect(cleared.text).toBe("");
    expect((await h.call({ url: passwordOf(id) })).json).toEqual({ password: "" });
    // clearing does not touch the server
    expect((await h.show(id)).status).toBe("ACTIVE");
  });

  it("a reader may read, not clear (403); another project sees nothing (404)", async () => {
    const id = await h.activeServer({ name: "pw-policy" });
    const asReader = (method: "GET" | "DELETE") =>
      h.call({ method, url: passwordOf(id), as: null, headers: { "x-auth-token": readerToken } });
    expect((await asReader("GET")).status).toBe(200);
    const refused = await asReader("DELETE");
    expect(refused.status).toBe(403);
    expect(refused.json).toEqual({
      forbidden: {
        code: 403,
        message: "Policy doesn't allow os_compute_api:os-server-password:clear to be performed.",
      },
    });
    expect((await h.call({ url: passwordOf(id), as: "other" })).status).toBe(404);
    expect((await h.call({ method: "DELETE", url: passwordOf(id), as: "other" })).status).toBe(404);
    expect((await h.call({ url: passwordOf(id), as: "admin" })).status).toBe(200);
  });

  it("drops unknown query parameters before 2.102 and refuses them from 2.102 (400)", async () => {
    const id = await h.activeServer({ name: "pw-query" });
    expect((await h.call({ url: `${passwordOf(id)}?x=1` })).status).toBe(200);
    expect((await h.call({ url: `${passwordOf(id)}?x=1`, version: "2.102" })).status).toBe(400);
    expect((await h.call({ url: passwordOf("00000000-0000-4000-8000-000000000000") })).status).toBe(404);
  });
});
