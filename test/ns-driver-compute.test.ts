/**
 * The compute API on the ns driver, end to end in one process: nimbus with `driver: ns`
 * boots real containers from its default busybox image. Needs root and busybox-static;
 * every server is deleted through the API, and whatever a failed test left is destroyed
 * by its recorded paths before the harness closes.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { defaultConfig } from "../src/config.js";
import { startNimbus } from "../src/nimbus.js";
import { ServerCgroups } from "../src/virt/ns/cgroups.js";
import { NS_DEFAULT_IMAGE_ID, NS_DEFAULT_IMAGE_NAME } from "../src/virt/ns/default-image.js";
import type { NsDriver } from "../src/virt/ns/driver.js";
import { DEFAULT_TOOLS } from "../src/virt/ns/probe.js";
import { type ComputeHarness, computeHarness, IMAGE_ID, SMALL } from "./compute-harness.js";
import { tempDir } from "./helpers.js";

const skip =
  process.getuid?.() !== 0
    ? "needs root (containers, cgroups, mounts)"
    : !fs.existsSync(DEFAULT_TOOLS.busybox)
      ? `needs ${DEFAULT_TOOLS.busybox} (busybox-static)`
      : false;

const b64 = (text: string) => Buffer.from(text).toString("base64");

describe.skipIf(skip !== false)(`compute API on the ns driver (${skip || "runs here"})`, () => {
  let h: ComputeHarness;
  let driver: NsDriver;
  const servers: string[] = [];

  beforeAll(async () => {
    h = await computeHarness({ config: { driver: "ns" } });
    driver = h.nimbus.drivers.get(h.nimbus.drivers.hosts[0] ?? "") as NsDriver;
  }, 120_000);

  afterAll(async () => {
    for (const id of servers) await driver?.destroy(id);
    await h?.close();
    // the unpacked images are large: the data dir goes now, not at the process's exit
    if (h) fs.rmSync(h.nimbus.config.dataDir, { recursive: true, force: true });
  });

  async function consoleOutput(id: string, text: string): Promise<string> {
    const end = Date.now() + 10_000;
    for (;;) {
      const r = await h.action(id, { "os-getConsoleOutput": { length: 100 } });
      expect(r.status, r.text).toBe(200);
      const output = r.json.output as string;
      if (output.includes(text)) return output;
      if (Date.now() > end) throw new Error(`console of ${id} never showed ${text}:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function act(id: string, body: unknown, status: string): Promise<void> {
    const r = await h.action(id, body);
    expect(r.status, r.text).toBe(202);
    await h.drain();
    expect((await h.show(id)).status).toBe(status);
  }

  it("offers the default busybox image: public, active, a root filesystem tarball", async () => {
    const r = await h.call({ url: `/image/v2/images/${NS_DEFAULT_IMAGE_ID}` });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({
      name: NS_DEFAULT_IMAGE_NAME,
      status: "active",
      visibility: "public",
      disk_format: "raw",
      container_format: "bare",
    });
    expect(r.json.size).toBeGreaterThan(1024 * 1024);
  });

  it("boots a server with user_data and a key pair; stop, start, pause, unpause and delete act on the container", async () => {
    const key = await h.call({ method: "POST", url: "/os-keypairs", body: { keypair: { name: "ns-key" } } });
    expect(key.status, key.text).toBe(200);
    const id = await h.activeServer({
      name: "ns-e2e",
      server: {
        imageRef: NS_DEFAULT_IMAGE_ID,
        key_name: "ns-key",
        user_data: b64("#!/bin/sh\necho user-data ran: $((6*7))\n"),
      },
    });
    servers.push(id);
    const shown = await h.show(id, { version: "2.47" });
    expect(shown.status).toBe("ACTIVE");
    expect(shown["OS-EXT-STS:power_state"]).toBe(1);
    const boot = await consoleOutput(id, "is up");
    expect(boot).toContain("nimbus-init: booting Linux");
    expect(boot).toContain("user-data ran: 42");
    expect(boot).toContain("installed 1 key(s) into /root/.ssh/authorized_keys");
    const record = await driver.record(id);
    if (!record) throw new Error("no record of the server on its host");
    const keys = fs.readFileSync(`/proc/${record.init?.pid}/root/root/.ssh/authorized_keys`, "utf8");
    expect(keys.trim()).toBe(key.json.keypair.public_key.trim());
    const cgroups = new ServerCgroups(record.cgroups);
    expect(await cgroups.readLimits()).toMatchObject({ memoryBytes: 512 * 1024 * 1024 });

    await act(id, { "os-stop": null }, "SHUTOFF");
    expect(await cgroups.pids()).toEqual([]);
    expect((await h.show(id))["OS-EXT-STS:power_state"]).toBe(4);
    await act(id, { "os-start": null }, "ACTIVE");
    expect(await cgroups.populated()).toBe(true);
    await act(id, { pause: null }, "PAUSED");
    expect(await cgroups.frozen()).toBe(true);
    await act(id, { unpause: null }, "ACTIVE");
    expect(await cgroups.frozen()).toBe(false);

    const deleted = await h.call({ method: "DELETE", url: `/servers/${id}` });
    expect(deleted.status, deleted.text).toBe(204);
    await h.drain();
    for (const group of Object.values(cgroups.paths)) expect(fs.existsSync(group)).toBe(false);
    expect(fs.existsSync(record.dir)).toBe(false);
  });

  it("snapshots a server into an image a new server boots from; reboots and rebuilds it", async () => {
    const id = await h.activeServer({
      name: "ns-snap",
      server: { imageRef: NS_DEFAULT_IMAGE_ID, user_data: b64("#!/bin/sh\necho v1 > /root/version\n") },
    });
    servers.push(id);
    await consoleOutput(id, "is up");
    const snap = await h.action(id, { createImage: { name: "ns-snap-image" } }, { version: "2.45" });
    expect(snap.status, snap.text).toBe(202);
    await h.drain();
    const imageId = snap.json.image_id as string;
    const image = await h.call({ url: `/image/v2/images/${imageId}` });
    expect(image.json).toMatchObject({ status: "active" });
    expect(image.json.size).toBeGreaterThan(1024 * 1024);
    const copy = await h.activeServer({
      name: "ns-copy",
      server: { imageRef: imageId, user_data: b64("#!/bin/sh\necho copy has $(cat /root/version)\n") },
    });
    servers.push(copy);
    expect(await consoleOutput(copy, "copy has")).toContain("copy has v1");

    await act(id, { reboot: { type: "SOFT" } }, "ACTIVE");
    expect(await consoleOutput(id, "got TERM")).toContain("nimbus-init: got TERM, powering off");
    await act(id, { reboot: { type: "HARD" } }, "ACTIVE");
    await act(id, { rebuild: { imageRef: NS_DEFAULT_IMAGE_ID } }, "ACTIVE");
    // a fresh disk: the user-data script runs again and writes its file anew
    const record = await driver.record(id);
    const version = `/proc/${record?.init?.pid}/root/root/version`;
    for (let i = 0; i < 250 && !fs.existsSync(version); i++) await new Promise((r) => setTimeout(r, 20));
    expect(fs.readFileSync(version, "utf8")).toBe("v1\n");
    const log = await consoleOutput(id, "is up");
    expect(log.split("\n").filter((l) => l.startsWith("nimbus-init: running user-data script"))).toHaveLength(
      2,
    );
  });

  it("resizes a running server's limits live, reverts them, and gives diagnostics from its cgroups", async () => {
    const id = await h.activeServer({ name: "ns-resize", server: { imageRef: NS_DEFAULT_IMAGE_ID } });
    servers.push(id);
    const record = await driver.record(id);
    if (!record) throw new Error("no record of the server on its host");
    const cgroups = new ServerCgroups(record.cgroups);
    const pid = record.init?.pid;
    await act(id, { resize: { flavorRef: SMALL } }, "VERIFY_RESIZE");
    expect(await cgroups.readLimits()).toMatchObject({ memoryBytes: 2048 * 1024 * 1024 });
    // live: the same init runs on
    expect((await driver.record(id))?.init?.pid).toBe(pid);
    await act(id, { revertResize: null }, "ACTIVE");
    expect(await cgroups.readLimits()).toMatchObject({ memoryBytes: 512 * 1024 * 1024 });

    const found = await h.call({ url: `/servers/${id}/diagnostics`, as: "admin", version: "2.48" });
    expect(found.status, found.text).toBe(200);
    expect(found.json).toMatchObject({ state: "running", driver: "libvirt", hypervisor: "lxc" });
    expect(found.json.memory_details.maximum).toBe(512);
    expect(found.json.memory_details.used).toBeGreaterThanOrEqual(0);
    expect(found.json.cpu_details[0].time).toBeGreaterThan(0);
  });

  it("attaches the serial console websocket to the container's pty: a root shell answers", async () => {
    const id = await h.activeServer({ name: "ns-serial", server: { imageRef: NS_DEFAULT_IMAGE_ID } });
    servers.push(id);
    await consoleOutput(id, "is up");
    const r = await h.call({
      method: "POST",
      url: `/servers/${id}/remote-consoles`,
      version: "2.6",
      body: { remote_console: { protocol: "serial", type: "serial" } },
    });
    expect(r.status, r.text).toBe(200);
    await h.app.listen({ host: "127.0.0.1", port: 0 });
    const port = (h.app.server.address() as AddressInfo).port;
    const url = new URL(r.json.remote_console.url);
    const ws = new WebSocket(`ws://127.0.0.1:${port}${url.pathname}${url.search}`);
    let seen = "";
    const answered = new Promise<void>((resolve) => {
      ws.on("message", (data) => {
        seen += data.toString();
        if (seen.includes("hello-5 from ns-serial")) resolve();
      });
    });
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    try {
      ws.send("echo hello-$((2+3)) from $(hostname)\r");
      await answered;
      expect(seen).toContain("nimbus-init: booting Linux");
    } finally {
      ws.close();
    }
  });

  it("shelves a server into an image of its filesystem and unshelves it from there", async () => {
    const id = await h.activeServer({
      name: "ns-shelve",
      server: { imageRef: NS_DEFAULT_IMAGE_ID, user_data: b64("#!/bin/sh\necho kept > /root/shelved\n") },
    });
    servers.push(id);
    await consoleOutput(id, "is up");
    await act(id, { shelve: null }, "SHELVED_OFFLOADED");
    expect(await driver.record(id)).toBeUndefined();
    await act(id, { unshelve: null }, "ACTIVE");
    const record = await driver.record(id);
    expect(fs.readFileSync(`/proc/${record?.init?.pid}/root/root/shelved`, "utf8")).toBe("kept\n");
  });

  it("puts a server of an image that is not a root filesystem in ERROR", async () => {
    const { id } = await h.createServer({ name: "ns-placeholder", server: { imageRef: IMAGE_ID } });
    servers.push(id);
    await h.drain();
    expect((await h.show(id)).status).toBe("ERROR");
  });

  it("refuses more than one host with the ns driver", async () => {
    // refused before anything is made: the data dir is never created
    const dataDir = path.join(os.tmpdir(), `nimbus-ns-hosts-${randomUUID()}`);
    const config = defaultConfig({ driver: "ns", fakeHosts: 2, dataDir });
    await expect(startNimbus(config, { listen: false })).rejects.toThrow(
      "fakeHosts (2) is for the fake driver: the ns driver runs one compute host, this machine",
    );
    expect(fs.existsSync(dataDir)).toBe(false);
  });
});

describe.skipIf(skip !== false)(`ns servers across a nimbus restart (${skip || "runs here"})`, () => {
  const dataDir = tempDir("nimbus-ns-restart-");
  const config = defaultConfig({ dataDir, driver: "ns", logLevel: "silent" });
  let serverId: string | undefined;
  let nimbus: Awaited<ReturnType<typeof startNimbus>> | undefined;

  afterAll(async () => {
    const driver = nimbus?.drivers.get(nimbus.drivers.hosts[0] ?? "") as NsDriver | undefined;
    if (serverId) await driver?.destroy(serverId);
    await nimbus?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function call(method: "GET" | "POST" | "DELETE", url: string, token: string, body?: unknown) {
    if (!nimbus) throw new Error("nimbus is not running");
    const r = await nimbus.app.inject({
      method,
      url: `/compute/v2.1${url}`,
      headers: { "x-auth-token": token, ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { payload: JSON.stringify(body) } : {}),
    });
    return { status: r.statusCode, json: r.body ? r.json() : undefined, text: r.body };
  }

  async function login(): Promise<string> {
    if (!nimbus) throw new Error("nimbus is not running");
    const r = await nimbus.app.inject({
      method: "POST",
      url: "/identity/v3/auth/tokens",
      payload: {
        auth: {
          identity: {
            methods: ["password"],
            password: { user: { name: "admin", domain: { name: "Default" }, password: "ns-restart-secret" } },
          },
          scope: { project: { name: "admin", domain: { name: "Default" } } },
        },
      },
    });
    expect(r.statusCode, r.body).toBe(201);
    return r.headers["x-subject-token"] as string;
  }

  it("keeps a server running while nimbus is down; the restarted nimbus reads it back and stops it", async () => {
    process.env.NIMBUS_ADMIN_PASSWORD = "ns-restart-secret";
    nimbus = await startNimbus(config, { listen: false });
    let token = await login();
    const created = await call("POST", "/servers", token, {
      server: { name: "survivor", imageRef: NS_DEFAULT_IMAGE_ID, flavorRef: "1" },
    });
    expect(created.status, created.text).toBe(202);
    serverId = created.json.server.id as string;
    await nimbus.engine.drain();
    const driver = nimbus.drivers.get(nimbus.drivers.hosts[0] ?? "") as NsDriver;
    const before = await driver.record(serverId);
    await nimbus.close();
    nimbus = undefined;

    // nimbus is down: the container runs on
    expect(fs.existsSync(`/proc/${before?.init?.pid}`)).toBe(true);
    nimbus = await startNimbus(config, { listen: false });
    token = await login();
    const shown = await call("GET", `/servers/${serverId}`, token);
    expect(shown.json.server.status).toBe("ACTIVE");
    const again = nimbus.drivers.get(nimbus.drivers.hosts[0] ?? "") as NsDriver;
    expect((await again.record(serverId))?.init).toEqual(before?.init);
    expect(await again.powerState(serverId)).toBe(1);
    const stop = await call("POST", `/servers/${serverId}/action`, token, { "os-stop": null });
    expect(stop.status, stop.text).toBe(202);
    await nimbus.engine.drain();
    expect((await call("GET", `/servers/${serverId}`, token)).json.server.status).toBe("SHUTOFF");
    expect(fs.existsSync(`/proc/${before?.init?.pid}`)).toBe(false);
  });
});
