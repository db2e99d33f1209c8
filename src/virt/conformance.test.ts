/**
 * The Driver conformance suite: one set of cases, run against every driver (as Hono runs
 * one router suite against all its routers). A case a driver cannot pass by design is not
 * skipped silently: the driver's subject says what it does instead, and that is tested.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ConsoleSink, Driver, GuestSpec } from "./driver.js";
import { FakeDriver } from "./fake/driver.js";
import { buildDefaultRootfs } from "./ns/default-image.js";
import { openNsHost } from "./ns/deployment.js";
import { DEFAULT_TOOLS } from "./ns/probe.js";
import { PowerState } from "./power-state.js";

/** One driver under test, and what it does where drivers differ. */
interface Subject {
  name: string;
  /** Why the suite cannot run here, or false. */
  skip: string | false;
  /** A driver on a fresh host, with an image it can boot. */
  open(): Promise<{ driver: Driver; imageRef: string; peer?: Driver }>;
  close(): Promise<void>;
  /** Whether a running guest takes a new admin password (else it is refused with nova's words). */
  setsAdminPassword: boolean;
  /** Whether guests move between two of its hosts while running. */
  liveMigrates: boolean;
}

const IMAGE = "7f0c3a52-5b1e-4f7e-9d36-6f4ad1c0b001";

function nsSkipReason(): string | false {
  if (process.getuid?.() !== 0) return "the ns driver needs root (containers, cgroups, mounts)";
  if (!fs.existsSync(DEFAULT_TOOLS.busybox))
    return `the ns driver needs ${DEFAULT_TOOLS.busybox} (busybox-static)`;
  return false;
}

function fakeSubject(): Subject {
  return {
    name: "fake",
    skip: false,
    async open() {
      const driver = new FakeDriver({ hostname: "conformance-a", stepMs: 0 });
      const peer = new FakeDriver({ hostname: "conformance-b", stepMs: 0 });
      return { driver, imageRef: IMAGE, peer };
    },
    async close() {},
    setsAdminPassword: true,
    liveMigrates: true,
  };
}

function nsSubject(): Subject {
  let dataDir: string | undefined;
  return {
    name: "ns",
    skip: nsSkipReason(),
    async open() {
      // a data dir of its own: the deployment prefix (a hash of it) is unique to this run
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "nimbus-ns-conformance-"));
      const tarball = path.join(dataDir, "rootfs.tar");
      fs.writeFileSync(tarball, await buildDefaultRootfs(DEFAULT_TOOLS.busybox, path.join(dataDir, "build")));
      const driver = await openNsHost({
        hostname: "conformance-ns",
        dataDir,
        images: { imageFile: async (id) => (id === IMAGE ? tarball : undefined) },
        shutdownTimeoutMs: 3000,
      });
      return { driver, imageRef: IMAGE };
    },
    async close() {
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
    setsAdminPassword: false,
    liveMigrates: false,
  };
}

const subjects = [fakeSubject(), nsSubject()];

describe.each(subjects)("Driver conformance: $name", (subject) => {
  describe.skipIf(subject.skip !== false)(`(${subject.skip || "runs here"})`, () => {
    let driver: Driver;
    let imageRef: string;
    let peer: Driver | undefined;
    const spawned = new Set<string>();

    beforeAll(async () => {
      ({ driver, imageRef, peer } = await subject.open());
    });

    afterEach(async () => {
      for (const uuid of spawned) {
        await driver.destroy(uuid);
        await peer?.destroy(uuid);
      }
      spawned.clear();
    });

    afterAll(async () => {
      await subject.close();
    });

    function spec(overrides: Partial<GuestSpec> = {}): GuestSpec {
      const uuid = randomUUID();
      return {
        uuid,
        name: `conformance-${uuid.slice(0, 8)}`,
        hostname: `c-${uuid.slice(0, 8)}`,
        imageRef,
        vcpus: 1,
        memoryMb: 64,
        rootGb: 1,
        userData: null,
        keyData: null,
        addresses: [],
        ...overrides,
      };
    }

    async function running(overrides: Partial<GuestSpec> = {}): Promise<GuestSpec> {
      const guest = spec(overrides);
      spawned.add(guest.uuid);
      await driver.spawn(guest);
      return guest;
    }

    /** The console, once it holds `text` (a real guest writes its boot log as it boots). */
    async function consoleWith(uuid: string, text: string): Promise<string> {
      const end = Date.now() + 10_000;
      for (;;) {
        const out = await driver.consoleOutput(uuid);
        if (out.includes(text) || Date.now() > end) return out;
        await new Promise((r) => setTimeout(r, 20));
      }
    }

    it("spawns a running guest whose console names its hostname; an unknown guest has no state", async () => {
      const guest = await running();
      expect(await driver.powerState(guest.uuid)).toBe(PowerState.RUNNING);
      expect(await consoleWith(guest.uuid, guest.hostname)).toContain(guest.hostname);
      expect(await driver.powerState(randomUUID())).toBe(PowerState.NOSTATE);
    });

    it("reboots soft and hard, running again each time", async () => {
      const guest = await running();
      await driver.reboot(guest.uuid, false);
      expect(await driver.powerState(guest.uuid)).toBe(PowerState.RUNNING);
      await driver.reboot(guest.uuid, true);
      expect(await driver.powerState(guest.uuid)).toBe(PowerState.RUNNING);
    });

    it("powers off to SHUTDOWN and on to RUNNING", async () => {
      const guest = await running();
      await driver.powerOff(guest.uuid);
      expect(await driver.powerState(guest.uuid)).toBe(PowerState.SHUTDOWN);
      await driver.powerOn(guest.uuid);
      expect(await driver.powerState(guest.uuid)).toBe(PowerState.RUNNING);
    });

    it("pauses and unpauses", async () => {
      const guest = await running();
      await driver.pause(guest.uuid);
      expect(await driver.powerState(guest.uuid)).toBe(PowerState.PAUSED);
      await driver.unpause(guest.uuid);
      expect(await driver.powerState(guest.uuid)).toBe(PowerState.RUNNING);
    });

    it("suspends and resumes", async () => {
      const guest = await running();
      await driver.suspend(guest.uuid);
      expect(await driver.powerState(guest.uuid)).toBe(PowerState.SUSPENDED);
      await driver.resume(guest.uuid);
      expect(await driver.powerState(guest.uuid)).toBe(PowerState.RUNNING);
    });

    it("resizes a running guest: its diagnostics show the new memory", async () => {
      const guest = await running();
      await driver.resize({ ...guest, memoryMb: 128, vcpus: 2 });
      expect(await driver.powerState(guest.uuid)).toBe(PowerState.RUNNING);
      const found = await driver.diagnostics(guest.uuid, []);
      expect(found.memory_details.maximum).toBe(128);
      expect(found.cpu_details).toHaveLength(2);
    });

    it("rebuilds a guest, running again with its new spec", async () => {
      const guest = await running();
      await driver.rebuild({ ...guest, hostname: `${guest.hostname}-rebuilt` });
      expect(await driver.powerState(guest.uuid)).toBe(PowerState.RUNNING);
      expect(await consoleWith(guest.uuid, `${guest.hostname}-rebuilt`)).toContain(
        `${guest.hostname}-rebuilt`,
      );
    });

    it("snapshots a guest's disk into image data", async () => {
      const guest = await running();
      const data = await driver.snapshot(guest.uuid);
      expect(data.length).toBeGreaterThan(0);
      expect(await driver.powerState(guest.uuid)).toBe(PowerState.RUNNING);
    });

    it("rescues and unrescues, running each time", async () => {
      const guest = await running();
      await driver.rescue(guest.uuid, imageRef, "rescue-secret");
      expect(await driver.powerState(guest.uuid)).toBe(PowerState.RUNNING);
      await driver.unrescue(guest.uuid);
      expect(await driver.powerState(guest.uuid)).toBe(PowerState.RUNNING);
    });

    it(
      subject.setsAdminPassword
        ? "sets the admin password of a running guest"
        : "refuses to set an admin password with nova's words (no guest agent: nova's libvirt lxc)",
      async () => {
        const guest = await running();
        const set = driver.setAdminPassword(guest.uuid, "new-secret");
        if (subject.setsAdminPassword) await expect(set).resolves.toBeUndefined();
        else await expect(set).rejects.toThrow("Set admin password is not supported");
        expect(await driver.powerState(guest.uuid)).toBe(PowerState.RUNNING);
      },
    );

    it("gives diagnostics in nova's libvirt format", async () => {
      const guest = await running({ vcpus: 2 });
      const found = await driver.diagnostics(guest.uuid, [{ mac: "fa:16:3e:00:00:01" }]);
      expect(found).toMatchObject({ state: "running", driver: "libvirt" });
      expect(found.cpu_details).toHaveLength(2);
      expect(found.nic_details.map((n) => n.mac_address)).toEqual(["fa:16:3e:00:00:01"]);
      expect(found.disk_details).toHaveLength(1);
      expect(found.memory_details.maximum).toBe(64);
      expect(found.uptime).toBeGreaterThanOrEqual(0);
    });

    it("plugs ports before and after the spawn, again as a no-op, and unplugs them", async () => {
      const guest = spec();
      spawned.add(guest.uuid);
      const vif = { portId: randomUUID(), mac: "fa:16:3e:00:00:02", networkId: randomUUID() };
      await driver.plugVifs(guest.uuid, [vif]);
      await driver.spawn(guest);
      await driver.plugVifs(guest.uuid, [vif]);
      await driver.unplugVifs(guest.uuid, [vif.portId, randomUUID()]);
      await driver.unplugVifs(randomUUID(), [vif.portId]);
      expect(await driver.powerState(guest.uuid)).toBe(PowerState.RUNNING);
    });

    it("tells its host's capacity and uptime", async () => {
      const capacity = await driver.capacity();
      expect(capacity.vcpus).toBeGreaterThan(0);
      expect(capacity.memoryMb).toBeGreaterThan(0);
      expect(capacity.hypervisorType).not.toBe("");
      expect(capacity.hypervisorVersion).toBeGreaterThan(0);
      expect(await driver.uptime()).toMatch(/load average/);
    });

    it("attaches a serial console: the log so far, then what follows; keystrokes reach the guest", async () => {
      const guest = await running();
      expect(driver.consoleProtocols).toContain("serial");
      await consoleWith(guest.uuid, guest.hostname);
      const seen: string[] = [];
      let ended = false;
      const sink: ConsoleSink = { data: (t) => seen.push(t), end: () => (ended = true) };
      const session = driver.openSerialConsole(guest.uuid, sink);
      expect(seen.join("")).toContain(guest.hostname);
      session.input("echo typed-on-the-console\n");
      const end = Date.now() + 5000;
      while (!seen.join("").includes("typed-on-the-console") && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(seen.join("")).toContain("typed-on-the-console");
      session.detach();
      expect(ended).toBe(false);
    });

    it(
      subject.liveMigrates
        ? "live migrates a running guest to another host"
        : "refuses a live migration, the guest left running where it is",
      async () => {
        const guest = await running();
        const destination = peer ?? new FakeDriver({ hostname: "elsewhere", stepMs: 0 });
        const move = driver.liveMigrate(guest.uuid, destination, { blockMigration: true });
        if (subject.liveMigrates) {
          await move;
          expect(await destination.powerState(guest.uuid)).toBe(PowerState.RUNNING);
        } else {
          await expect(move).rejects.toThrow(/not supported/);
          expect(await destination.powerState(guest.uuid)).toBe(PowerState.NOSTATE);
        }
        expect(await driver.powerState(guest.uuid)).toBe(PowerState.RUNNING);
        await driver.liveMigrationForceComplete(guest.uuid);
      },
    );

    it("destroys a guest (again a no-op): no state left", async () => {
      const guest = await running();
      await driver.destroy(guest.uuid);
      expect(await driver.powerState(guest.uuid)).toBe(PowerState.NOSTATE);
      await driver.destroy(guest.uuid);
    });
  });
});
