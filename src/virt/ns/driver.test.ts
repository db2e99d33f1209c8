/**
 * The ns driver's real effects on this machine: the guest's console, the freezer, the
 * groups' limits and clean-up by recorded paths. Needs root and busybox-static; every run
 * has its own data dir, hence its own cgroup prefix, and destroys what it spawned.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { GuestSpec } from "../driver.js";
import { PowerState } from "../power-state.js";
import { ServerCgroups } from "./cgroups.js";
import { buildDefaultRootfs } from "./default-image.js";
import { deploymentPrefix, openNsHost } from "./deployment.js";
import type { NsDriver } from "./driver.js";
import { DEFAULT_TOOLS, NsHostUnsupported } from "./probe.js";
import { ImageNotBootable } from "./rootfs.js";

const root = process.getuid?.() === 0;
const busybox = fs.existsSync(DEFAULT_TOOLS.busybox);
const skip = !root
  ? "needs root (containers, cgroups, mounts)"
  : !busybox
    ? `needs ${DEFAULT_TOOLS.busybox} (busybox-static)`
    : false;

const IMAGE = "0b9d2c1e-4d3a-4e8f-8a51-0c2f5e6d7a01";
const SNAPSHOT = "0b9d2c1e-4d3a-4e8f-8a51-0c2f5e6d7a02";
const NOT_A_TAR = "0b9d2c1e-4d3a-4e8f-8a51-0c2f5e6d7a03";

const b64 = (text: string) => Buffer.from(text).toString("base64");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skip !== false)(`ns driver on this machine (${skip || "runs here"})`, () => {
  let dataDir: string;
  let driver: NsDriver;
  const files = new Map<string, string>();
  const spawned = new Set<string>();

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "nimbus-ns-driver-"));
    const tarball = path.join(dataDir, "rootfs.tar");
    fs.writeFileSync(tarball, await buildDefaultRootfs(DEFAULT_TOOLS.busybox, path.join(dataDir, "build")));
    files.set(IMAGE, tarball);
    const junk = path.join(dataDir, "junk.qcow2");
    fs.writeFileSync(junk, Buffer.alloc(4096, 7));
    files.set(NOT_A_TAR, junk);
    driver = await openNsHost({
      hostname: "ns-test",
      dataDir,
      images: { imageFile: async (id) => files.get(id) },
      shutdownTimeoutMs: 3000,
    });
  });

  afterEach(async () => {
    for (const uuid of spawned) await driver.destroy(uuid);
    spawned.clear();
  });

  afterAll(() => {
    // every group went with its server: the deployment's parents too (by their paths)
    const prefix = deploymentPrefix(dataDir);
    for (const h of ["memory", "cpu", "cpuacct", "pids", "freezer", "unified"]) {
      expect(fs.existsSync(path.join("/sys/fs/cgroup", h, prefix))).toBe(false);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  function spec(overrides: Partial<GuestSpec> = {}): GuestSpec {
    const uuid = randomUUID();
    return {
      uuid,
      name: `ns-${uuid.slice(0, 8)}`,
      hostname: `ns-${uuid.slice(0, 8)}`,
      imageRef: IMAGE,
      vcpus: 1,
      memoryMb: 64,
      rootGb: 1,
      userData: null,
      keyData: null,
      addresses: [],
      ...overrides,
    };
  }

  async function boot(overrides: Partial<GuestSpec> = {}): Promise<GuestSpec> {
    const guest = spec(overrides);
    spawned.add(guest.uuid);
    await driver.spawn(guest);
    return guest;
  }

  async function consoleWith(uuid: string, text: string, timeoutMs = 10_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const out = await driver.consoleOutput(uuid);
      if (out.includes(text)) return out;
      if (Date.now() > end) throw new Error(`console of ${uuid} never showed ${text}:\n${out}`);
      await sleep(10);
    }
  }

  async function groups(uuid: string): Promise<ServerCgroups> {
    const record = await driver.record(uuid);
    if (!record) throw new Error(`no record of ${uuid}`);
    return new ServerCgroups(record.cgroups);
  }

  it("boots the image's init: boot log, hostname, the key installed, the user-data script's output", async () => {
    const guest = await boot({
      userData: b64("#!/bin/sh\necho user-data says $((6*7)) on $(hostname)\n"),
      keyData: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIConformanceKey nimbus@test",
    });
    const out = await consoleWith(guest.uuid, "is up");
    expect(out).toContain("nimbus-init: booting Linux");
    expect(out).toContain(`nimbus-init: hostname ${guest.hostname}`);
    expect(out).toContain(`user-data says 42 on ${guest.hostname}`);
    expect(out).toContain("nimbus-init: user-data script exited with 0");
    expect(out).toContain("installed 1 key(s) into /root/.ssh/authorized_keys");
    const record = await driver.record(guest.uuid);
    const keys = fs.readFileSync(`/proc/${record?.init?.pid}/root/root/.ssh/authorized_keys`, "utf8");
    expect(keys).toContain("ConformanceKey");
    // PID 1 of its own pid namespace, in its groups
    const status = fs.readFileSync(`/proc/${record?.init?.pid}/status`, "utf8");
    expect(status).toMatch(/^NSpid:\s+\d+\s+1$/m);
    expect((await groups(guest.uuid)).paths.unified).toContain(deploymentPrefix(dataDir));
  });

  it("freezes a paused server (its ticker stops) and thaws it (the ticker goes on)", async () => {
    const guest = await boot({
      userData: b64("#!/bin/sh\n(while :; do echo tick; sleep 0.1; done) &\n"),
    });
    await consoleWith(guest.uuid, "tick");
    const ticks = async () =>
      (await driver.consoleOutput(guest.uuid)).split("\n").filter((l) => l === "tick").length;
    await driver.pause(guest.uuid);
    const frozenAt = await ticks();
    await sleep(1000);
    expect(await ticks()).toBe(frozenAt);
    expect(await driver.powerState(guest.uuid)).toBe(PowerState.PAUSED);
    await driver.unpause(guest.uuid);
    await sleep(600);
    expect(await ticks()).toBeGreaterThan(frozenAt + 2);
  });

  it("powers off with a clean shutdown: the init's trap runs and no process is left in its groups", async () => {
    const guest = await boot();
    await consoleWith(guest.uuid, "is up");
    await driver.powerOff(guest.uuid);
    expect(await driver.consoleOutput(guest.uuid)).toContain("nimbus-init: got TERM, powering off");
    const cgroups = await groups(guest.uuid);
    expect(await cgroups.pids()).toEqual([]);
    expect(await cgroups.populated()).toBe(false);
    expect(await driver.powerState(guest.uuid)).toBe(PowerState.SHUTDOWN);
  });

  it("reads a server whose init died on its own as SHUTDOWN", async () => {
    const guest = await boot();
    const record = await driver.record(guest.uuid);
    process.kill(record?.init?.pid ?? 0, "SIGKILL");
    const cgroups = await groups(guest.uuid);
    expect(await cgroups.waitEmpty(5000)).toBe(true);
    expect(await driver.powerState(guest.uuid)).toBe(PowerState.SHUTDOWN);
  });

  it("rewrites the limits of a running server on resize", async () => {
    const guest = await boot({ memoryMb: 64, vcpus: 1 });
    const cgroups = await groups(guest.uuid);
    expect(await cgroups.readLimits()).toMatchObject({ memoryBytes: 64 * 1024 * 1024, cpuQuotaUs: 100_000 });
    await driver.resize({ ...guest, memoryMb: 96, vcpus: 2 });
    expect(await cgroups.readLimits()).toMatchObject({ memoryBytes: 96 * 1024 * 1024, cpuQuotaUs: 200_000 });
    expect(await driver.powerState(guest.uuid)).toBe(PowerState.RUNNING);
  });

  it("keeps the disk across a hard reboot, wipes it on rebuild", async () => {
    const guest = await boot({ userData: b64("#!/bin/sh\necho kept > /root/note\n") });
    await consoleWith(guest.uuid, "is up");
    await driver.reboot(guest.uuid, true);
    const note = async () => {
      const record = await driver.record(guest.uuid);
      return fs.existsSync(`/proc/${record?.init?.pid}/root/root/note`);
    };
    expect(await note()).toBe(true);
    await driver.rebuild({ ...guest, userData: null });
    expect(await note()).toBe(false);
  });

  it("snapshots the running server's filesystem into a tarball a new server boots from", async () => {
    const guest = await boot({ userData: b64("#!/bin/sh\necho v1 > /root/version\n") });
    await consoleWith(guest.uuid, "is up");
    const snapshot = path.join(dataDir, "snapshot.tar");
    fs.writeFileSync(snapshot, await driver.snapshot(guest.uuid));
    files.set(SNAPSHOT, snapshot);
    const copy = await boot({
      imageRef: SNAPSHOT,
      userData: b64("#!/bin/sh\necho copy has $(cat /root/version)\n"),
    });
    expect(await consoleWith(copy.uuid, "copy has")).toContain("copy has v1");
  });

  it("rescues a server: the rescue system runs with the server's disk at /mnt/disk", async () => {
    const guest = await boot({ userData: b64("#!/bin/sh\necho mine > /root/own-file\n") });
    await consoleWith(guest.uuid, "is up");
    await driver.rescue(guest.uuid, IMAGE, "rescue-secret");
    const record = await driver.record(guest.uuid);
    const init = record?.init?.pid;
    expect(fs.readFileSync(`/proc/${init}/root/mnt/disk/root/own-file`, "utf8")).toBe("mine\n");
    expect(fs.readFileSync(`/proc/${init}/root/etc/shadow`, "utf8")).toMatch(/^root:\$6\$/);
    await driver.unrescue(guest.uuid);
    const after = await driver.record(guest.uuid);
    expect(fs.existsSync(`/proc/${after?.init?.pid}/root/mnt/disk/root`)).toBe(false);
    expect(fs.readFileSync(`/proc/${after?.init?.pid}/root/root/own-file`, "utf8")).toBe("mine\n");
  });

  it("gives the serial console a root shell on the container's pty; the session ends with the server", async () => {
    const guest = await boot();
    await consoleWith(guest.uuid, "is up");
    const seen: string[] = [];
    let ended = false;
    const session = driver.openSerialConsole(guest.uuid, {
      data: (t) => seen.push(t),
      end: () => (ended = true),
    });
    session.input("echo marker-$((6*7)) from $(hostname) on $(tty)\n");
    const expected = `marker-42 from ${guest.hostname} on /dev/console`;
    for (let i = 0; i < 250 && !seen.join("").includes(expected); i++) await sleep(20);
    expect(seen.join("")).toContain(expected);
    expect(await driver.consoleOutput(guest.uuid)).toContain(expected);
    await driver.destroy(guest.uuid);
    spawned.delete(guest.uuid);
    expect(ended).toBe(true);
  });

  it("destroys a server: no group left in any hierarchy, no instance dir", async () => {
    const guest = await boot();
    const cgroups = await groups(guest.uuid);
    const dir = (await driver.record(guest.uuid))?.dir ?? "";
    expect(fs.existsSync(dir)).toBe(true);
    await driver.destroy(guest.uuid);
    spawned.delete(guest.uuid);
    for (const group of Object.values(cgroups.paths)) expect(fs.existsSync(group)).toBe(false);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it("refuses an image that is not a root filesystem tarball, leaving nothing behind", async () => {
    const guest = spec({ imageRef: NOT_A_TAR });
    spawned.add(guest.uuid);
    await expect(driver.spawn(guest)).rejects.toThrow(ImageNotBootable);
    await expect(driver.spawn(spec({ imageRef: randomUUID() }))).rejects.toThrow(/has no data to boot from/);
    expect(await driver.powerState(guest.uuid)).toBe(PowerState.NOSTATE);
  });

  it("cleans up a spawn whose container does not come up, the console's end in the error", async () => {
    const broken = path.join(dataDir, "no-init.tar");
    const stage = fs.mkdtempSync(path.join(dataDir, "no-init-"));
    // an init that is there but cannot run: the launcher's exec fails
    fs.mkdirSync(path.join(stage, "sbin"));
    fs.writeFileSync(path.join(stage, "sbin/init"), "not a program\n", { mode: 0o644 });
    const { execFileSync } = await import("node:child_process");
    execFileSync("tar", ["-C", stage, "-cf", broken, "."]);
    files.set(SNAPSHOT.replace(/2$/, "4"), broken);
    const guest = spec({ imageRef: SNAPSHOT.replace(/2$/, "4") });
    spawned.add(guest.uuid);
    const groupsOf = ServerCgroups.at("/sys/fs/cgroup", deploymentPrefix(dataDir), guest.uuid);
    await expect(driver.spawn(guest)).rejects.toThrow(/did not boot/);
    expect(await driver.powerState(guest.uuid)).toBe(PowerState.NOSTATE);
    for (const group of Object.values(groupsOf.paths)) expect(fs.existsSync(group)).toBe(false);
    expect(fs.existsSync(driver.instanceDir(guest.uuid))).toBe(false);
  });

  it("boots fast: spawn to the init's first console line", async () => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const guest = spec();
      spawned.add(guest.uuid);
      const start = performance.now();
      await driver.spawn(guest);
      await consoleWith(guest.uuid, "nimbus-init: booting", 5000);
      times.push(performance.now() - start);
    }
    console.info(`ns boot, spawn to first console line (ms): ${times.map((t) => t.toFixed(0)).join(", ")}`);
    expect(Math.min(...times)).toBeLessThan(2000);
  });
});

describe("ns host probe", () => {
  it.skipIf(!root)("refuses a machine without a tool, naming it", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "nimbus-ns-probe-"));
    try {
      const opened = openNsHost({
        hostname: "probe",
        dataDir,
        images: { imageFile: async () => undefined },
        tools: { ...DEFAULT_TOOLS, unshare: "/nonexistent/unshare" },
      });
      await expect(opened).rejects.toThrow(NsHostUnsupported);
      await expect(opened).rejects.toThrow(
        "the ns driver cannot run servers on this machine: unshare is missing: no executable /nonexistent/unshare (install util-linux)",
      );
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it.skipIf(!root)("refuses cgroups it cannot make, naming the hierarchy", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "nimbus-ns-probe-"));
    try {
      const opened = openNsHost({
        hostname: "probe",
        dataDir,
        images: { imageFile: async () => undefined },
        cgroupRoot: path.join(dataDir, "no-cgroups"),
      });
      await expect(opened).rejects.toThrow(
        /cannot make a cgroup v1 memory group under .*no-cgroups\/memory \(ENOENT\)/,
      );
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
