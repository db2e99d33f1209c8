import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, resourcesApp, sample, type TestApp } from "./resources-test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await resourcesApp();
});
afterAll(async () => t.close());

describe("GET /extensions", () => {
  it("lists nova's extensions, in nova's order, to any caller", async () => {
    const r = await call(t.app, { url: "/extensions", token: "member" });
    expect(r.status).toBe(200);
    expect(r.json).toEqual(sample("extension-info/extensions-list-resp.json"));
  });

  it("lists the v2.0-compatible list on the legacy /v2 endpoint", async () => {
    const r = await call(t.app, { url: "/compute/v2/extensions", token: "member" });
    expect(r.json).toEqual(sample("extension-info/extensions-list-resp-v21-compatible.json"));
  });

  it("shows one by alias, and 404 for an alias nova does not list", async () => {
    const shown = await call(t.app, { url: "/extensions/os-agents", token: "member" });
    expect(shown.json).toEqual(sample("extension-info/extensions-get-resp.json"));
    const missing = await call(t.app, { url: "/extensions/os-nothing", token: "member" });
    expect(missing.status).toBe(404);
    expect(missing.json.itemNotFound.code).toBe(404);
  });
});
