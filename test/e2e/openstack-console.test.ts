/**
 * End to end: `openstack console url show` against the real `nimbus serve`, then the serial
 * console's websocket read with a plain client; the fake host has no vnc, so the client's
 * default answers nova's ConsoleTypeUnavailable.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { Clients, haveClients, type NimbusProcess, startNimbusProcess } from "./support.js";

const IMAGE = "cirros-0.6.2-x86_64-disk";

let nimbus: NimbusProcess;
let demo: Clients;
let serverId: string;

/** The first message of a console websocket, or the HTTP status it was refused with. */
function firstMessage(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once("message", (data) => {
      resolve(data.toString());
      ws.close();
    });
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once("error", reject);
  });
}

describe.skipIf(!haveClients)("openstack console url show against nimbus serve", () => {
  beforeAll(async () => {
    nimbus = await startNimbusProcess({ fakeStepMs: 20 });
    demo = new Clients(nimbus.dataDir, "nimbus");
    const server = await demo.json(
      ["server", "create", "--flavor", "m1.nano", "--image", IMAGE, "--wait", "e2e-console"],
      120_000,
    );
    serverId = server.id;
  }, 180_000);

  afterAll(async () => {
    await nimbus?.stop();
  });

  it("--serial: a websocket URL that streams the server's boot log", async () => {
    const shown = await demo.json(["console", "url", "show", "--serial", serverId]);
    expect(shown.type).toBe("serial");
    expect(shown.url).toMatch(/^ws:\/\/.*\/serial-console\/\?token=/);
    expect(await firstMessage(shown.url)).toContain("Linux version");
  }, 60_000);

  it("the default (vnc): nova's answer from a host without vnc", async () => {
    const error = await demo.openstack(["console", "url", "show", serverId]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(error)).toContain("Unavailable console type novnc.");
  }, 60_000);

  it("a garbage token is refused", async () => {
    const url = `${nimbus.url.replace(/^http/, "ws")}/serial-console/?token=garbage`;
    await expect(firstMessage(url)).rejects.toThrow("HTTP 401");
  });
});
