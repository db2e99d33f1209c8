import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotFound } from "../../services/errors.js";
import { createHttpServer } from "../app.js";
import { registerIdentity } from "./router.js";
import { type IdentityHarness, identityHarness } from "./test-support.js";

describe("identity version discovery and errors", () => {
  let h: IdentityHarness;
  beforeAll(async () => {
    h = await identityHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  const v3 = {
    id: "v3.14",
    status: "stable",
    updated: "2020-04-07T00:00:00Z",
    links: [{ rel: "self", href: "http://cloud.test:8774/identity/v3/" }],
    "media-types": [{ base: "application/json", type: "application/vnd.openstack.identity-v3+json" }],
  };

  it.each(["/identity", "/identity/"])(
    "GET %s answers 300 with Keystone's versions document",
    async (url) => {
      const response = await h.app.inject({ url, headers: { accept: "application/json" } });
      expect(response.statusCode).toBe(300);
      expect(response.headers["content-type"]).toMatch(/^application\/json/);
      expect(response.json()).toEqual({ versions: { values: [v3] } });
    },
  );

  it.each(["/identity/v3", "/identity/v3/"])("GET %s answers 200 with the v3 version", async (url) => {
    const response = await h.app.inject({ url });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ version: v3 });
  });

  it("sends Keystone's request id header only", async () => {
    const response = await h.app.inject({ url: "/identity/v3" });
    expect(response.headers["x-openstack-request-id"]).toMatch(/^req-[0-9a-f-]{36}$/);
    expect(response.headers["x-compute-request-id"]).toBeUndefined();
  });

  it("renders errors in Keystone's body, with WWW-Authenticate on 401", async () => {
    const unauthorized = await h.app.inject({ url: "/identity/v3/projects" });
    expect(unauthorized.statusCode).toBe(401);
    expect(unauthorized.json()).toEqual({
      error: {
        code: 401,
        title: "Unauthorized",
        message: "The request you have made requires authentication.",
      },
    });
    expect(unauthorized.headers["www-authenticate"]).toBe('Keystone uri="http://cloud.test:8774/identity"');

    const unknown = await h.app.inject({ url: "/identity/v3/no-such-thing" });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({
      error: { code: 404, title: "Not Found", message: "The resource could not be found." },
    });

    const malformed = await h.app.inject({
      method: "POST",
      url: "/identity/v3/auth/tokens",
      headers: { "content-type": "application/json" },
      payload: "{not json",
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error).toMatchObject({ code: 400, title: "Bad Request" });
  });

  it("leaves the rest of the app with Nova's faults", async () => {
    const app = createHttpServer(h.config);
    app.get("/compute/boom", async () => {
      throw new NotFound("Flavor 42 could not be found.");
    });
    await registerIdentity(app, { identity: h.identity, config: h.config });
    const nova = await app.inject({ url: "/compute/boom" });
    expect(nova.statusCode).toBe(404);
    expect(nova.json()).toEqual({ itemNotFound: { code: 404, message: "Flavor 42 could not be found." } });
    const keystone = await app.inject({
      url: "/identity/v3/projects/42",
      headers: { "x-auth-token": "nope" },
    });
    expect(keystone.json()).toHaveProperty("error.code", 401);
    await app.close();
  });
});
