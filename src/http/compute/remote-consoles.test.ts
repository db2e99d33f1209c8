/**
 * Remote consoles through inject(): `POST /servers/{id}/remote-consoles` per microversion,
 * the legacy os-get*Console actions to 2.5, and os-console-auth-tokens; the fake host offers
 * a serial console only, so vnc, spice and mks get nova's ConsoleTypeUnavailable.
 */
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { type ComputeHarness, computeHarness, type Response } from "../../../test/compute-harness.js";

let h: ComputeHarness;
let server: string;
beforeAll(async () => {
  h = await computeHarness();
  server = await h.activeServer();
});
afterAll(async () => h.close());
afterEach(() => {
  vi.useRealTimers();
});

function expectFault(r: Response, status: number, message: string) {
  const key = { 400: "badRequest", 403: "forbidden", 404: "itemNotFound", 409: "conflictingRequest" }[status];
  expect(r.status, r.text).toBe(status);
  expect(r.json).toEqual({ [key!]: { code: status, message } });
}

const create = (body: unknown, version = "2.6", id = server, as: "admin" | "demo" | "other" = "demo") =>
  h.call({ method: "POST", url: `/servers/${id}/remote-consoles`, version, body, as });
const remote = (protocol: string, type: string, version = "2.6") =>
  create({ remote_console: { protocol, type } }, version);
const tokenOf = (url: string) => new URL(url).searchParams.get("token")!;
const showToken = (token: string, version = "2.31", as: "admin" | "demo" = "admin") =>
  h.call({ url: `/os-console-auth-tokens/${token}`, version, as });

const SERIAL_URL = /^ws:\/\/127\.0\.0\.1:\d+\/serial-console\/\?token=[0-9a-f-]{36}$/;

describe("POST /servers/{id}/remote-consoles", () => {
  it.each(["2.6", "2.8", "2.99", "2.104"])(
    "%s: a serial console's URL with a fresh token",
    async (version) => {
      const r = await remote("serial", "serial", version);
      expect(r.status, r.text).toBe(200);
      expect(r.json).toEqual({
        remote_console: { protocol: "serial", type: "serial", url: expect.any(String) },
      });
      expect(r.json.remote_console.url).toMatch(SERIAL_URL);
    },
  );

  it.each([
    ["vnc", "novnc", "2.6"],
    ["vnc", "xvpvnc", "2.6"],
    ["spice", "spice-html5", "2.6"],
    ["mks", "webmks", "2.8"],
    ["spice", "spice-direct", "2.99"],
  ])("%s (%s, %s): nova's ConsoleTypeUnavailable from a host without it", async (protocol, type, version) => {
    expectFault(await remote(protocol, type, version), 400, `Unavailable console type ${type}.`);
  });

  it("rdp: nova refuses it since the Hyper-V driver went", async () => {
    expectFault(await remote("rdp", "rdp-html5"), 400, "Unavailable console type rdp.");
  });

  it("a type the protocol does not have: nova's ConsoleTypeInvalid", async () => {
    expectFault(await remote("serial", "novnc"), 400, "Invalid console type novnc");
  });

  it("schema per microversion: mks only from 2.8, spice-direct only from 2.99, bad bodies", async () => {
    expect((await remote("mks", "webmks", "2.7")).status).toBe(400);
    expect((await remote("spice", "spice-direct", "2.98")).status).toBe(400);
    expect((await create({ remote_console: { protocol: "serial" } })).status).toBe(400);
    expect((await create({ remote_console: { protocol: "telnet", type: "serial" } })).status).toBe(400);
    expect((await create({})).status).toBe(400);
  });

  it("2.5 has no such route; an unknown or another project's server is 404", async () => {
    expect((await remote("serial", "serial", "2.5")).status).toBe(404);
    const missing = "00000000-0000-0000-0000-000000000000";
    expectFault(
      await create({ remote_console: { protocol: "serial", type: "serial" } }, "2.6", missing),
      404,
      `Instance ${missing} could not be found.`,
    );
    const r = await create(
      { remote_console: { protocol: "serial", type: "serial" } },
      "2.6",
      server,
      "other",
    );
    expect(r.status).toBe(404);
  });

  it("a server still building has no console: nova's InstanceNotReady (409)", async () => {
    await h.withEngineStopped(async () => {
      const { id } = await h.createServer();
      expectFault(
        await create({ remote_console: { protocol: "serial", type: "serial" } }, "2.6", id),
        409,
        `Instance ${id} is not ready`,
      );
    });
  });
});

describe("legacy console actions (to 2.5)", () => {
  const act = (body: unknown, version = "2.5") => h.action(server, body, { version });

  it("os-getSerialConsole: the serial URL", async () => {
    const r = await act({ "os-getSerialConsole": { type: "serial" } });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({ console: { type: "serial", url: expect.stringMatching(SERIAL_URL) } });
  });

  it("os-getVNCConsole and os-getSPICEConsole: ConsoleTypeUnavailable; os-getRDPConsole: a plain 400", async () => {
    expectFault(await act({ "os-getVNCConsole": { type: "novnc" } }), 400, "Unavailable console type novnc.");
    expectFault(
      await act({ "os-getSPICEConsole": { type: "spice-html5" } }),
      400,
      "Unavailable console type spice-html5.",
    );
    expect((await act({ "os-getRDPConsole": { type: "rdp-html5" } })).status).toBe(400);
    expect((await act({ "os-getVNCConsole": { type: "bogus" } })).status).toBe(400);
  });

  it("2.6 moved them to remote-consoles: nova answers 404 for the actions there", async () => {
    const r = await act({ "os-getSerialConsole": { type: "serial" } }, "2.6");
    expect(r.status).toBe(404);
  });
});

describe("GET /os-console-auth-tokens/{id}", () => {
  it("2.31: what a live token opens, for admins only", async () => {
    const token = tokenOf((await remote("serial", "serial")).json.remote_console.url);
    const r = await showToken(token);
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({
      console: {
        instance_uuid: server,
        host: "127.0.0.1",
        port: expect.any(Number),
        internal_access_path: null,
      },
    });
    expect((await showToken(token, "2.31", "demo")).status).toBe(403);
  });

  it("2.99: names the TLS port (none) and takes no query parameters", async () => {
    const token = tokenOf((await remote("serial", "serial")).json.remote_console.url);
    const r = await showToken(token, "2.99");
    expect(r.status, r.text).toBe(200);
    expect(r.json.console.tls_port).toBeNull();
    expect((await showToken(`${token}?x=1`, "2.99")).status).toBe(400);
    expect((await showToken(`${token}?x=1`, "2.98")).status).toBe(200);
  });

  it("before 2.31 (rdp-html5 only): 400", async () => {
    const token = tokenOf((await remote("serial", "serial")).json.remote_console.url);
    expect((await showToken(token, "2.30")).status).toBe(400);
  });

  it("an unknown token is 404", async () => {
    expectFault(await showToken("no-such-token"), 404, "Token not found");
  });

  it("a token past nova's token_ttl (600 s) is refused", async () => {
    const token = tokenOf((await remote("serial", "serial")).json.remote_console.url);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 599_000);
    expect((await showToken(token)).status).toBe(200);
    vi.setSystemTime(Date.now() + 2_000);
    expectFault(await showToken(token), 404, "Token not found");
  });
});

describe("the serial console websocket", () => {
  let base: string;
  beforeAll(async () => {
    await h.app.listen({ host: "127.0.0.1", port: 0 });
    base = `ws://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  });
  // the console URL names the configured public endpoint; connect to this test's listener
  const local = (url: string) => `${base}${new URL(url).pathname}${new URL(url).search}`;
  const open = (url: string) =>
    new Promise<{ ws: WebSocket; first: string }>((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once("message", (data) => resolve({ ws, first: data.toString() }));
      ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once("error", reject);
    });

  it("streams the server's boot log, and ends when the server is deleted", async () => {
    const id = await h.activeServer();
    const url = (await create({ remote_console: { protocol: "serial", type: "serial" } }, "2.6", id)).json
      .remote_console.url;
    const { ws, first } = await open(local(url));
    expect(first).toContain("Linux version");
    const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
    expect((await h.call({ method: "DELETE", url: `/servers/${id}` })).status).toBe(204);
    await h.drain();
    expect(await closed).toBe(1000);
  });

  it("passes keystrokes to the guest: its login prompt answers a line typed", async () => {
    const id = await h.activeServer({ name: "typist" });
    const url = (await create({ remote_console: { protocol: "serial", type: "serial" } }, "2.6", id)).json
      .remote_console.url;
    const { ws } = await open(local(url));
    const answer = new Promise<string>((resolve) => {
      let seen = "";
      ws.on("message", (data) => {
        seen += data.toString();
        if (/Login incorrect\n.*login:/s.test(seen)) resolve(seen);
      });
    });
    try {
      // typed in two pieces: nothing is answered before the newline
      ws.send("ro");
      ws.send("ot\r");
      expect(await answer).toMatch(/\] root\n.*\] Login incorrect\n.*\] typist login:\n/s);
    } finally {
      ws.close();
    }
    // the console log holds what the console showed
    const log = await h.action(id, { "os-getConsoleOutput": {} });
    expect(log.json.output).toContain("Login incorrect");
  });

  it("a garbage or expired token is refused at the upgrade (401)", async () => {
    await expect(open(`${base}/serial-console/?token=garbage`)).rejects.toThrow("HTTP 401");
    const url = (await remote("serial", "serial")).json.remote_console.url;
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 601_000);
    await expect(open(local(url))).rejects.toThrow("HTTP 401");
  });
});
