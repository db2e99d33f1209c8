import { describe, expect, it } from "vitest";
import type { LiveMigrationProgress } from "../driver.js";
import { PowerState } from "../power-state.js";
import { FakeDriver, LIVE_MIGRATION_ROUNDS } from "./driver.js";

const spec = {
  uuid: "g1",
  name: "web",
  hostname: "web",
  imageRef: "img",
  vcpus: 1,
  memoryMb: 512,
  rootGb: 1,
  userData: null,
  keyData: null,
  addresses: ["10.0.0.2"],
};

describe("FakeDriver", () => {
  it("records the ports plugged in per server, once each, until they are unplugged", async () => {
    const d = new FakeDriver({ hostname: "h1", stepMs: 0 });
    const a = { portId: "p1", mac: "fa:16:3e:00:00:01", networkId: "n1" };
    const b = { portId: "p2", mac: "fa:16:3e:00:00:02", networkId: "n1" };
    await d.plugVifs("g1", [a]);
    await d.plugVifs("g1", [a, b]);
    expect(d.vifs()).toEqual(new Map([["g1", [a, b]]]));
    await d.unplugVifs("g1", ["p1", "unknown"]);
    expect(d.vifs().get("g1")).toEqual([b]);
    await d.unplugVifs("g1", ["p2"]);
    expect(d.vifs().size).toBe(0);
  });

  it("runs a guest through its power states and reads them back", async () => {
    const d = new FakeDriver({ hostname: "h1", stepMs: 0 });
    expect(await d.powerState("g1")).toBe(PowerState.NOSTATE);
    await d.spawn(spec);
    expect(await d.powerState("g1")).toBe(PowerState.RUNNING);
    await d.pause("g1");
    expect(await d.powerState("g1")).toBe(PowerState.PAUSED);
    await d.unpause("g1");
    await d.suspend("g1");
    expect(await d.powerState("g1")).toBe(PowerState.SUSPENDED);
    await d.resume("g1");
    await d.powerOff("g1");
    expect(await d.powerState("g1")).toBe(PowerState.SHUTDOWN);
    await d.powerOn("g1");
    expect(await d.powerState("g1")).toBe(PowerState.RUNNING);
    await d.destroy("g1");
    expect(await d.powerState("g1")).toBe(PowerState.NOSTATE);
  });

  it("writes a console log and returns its tail", async () => {
    const d = new FakeDriver({ hostname: "h1", stepMs: 0 });
    await d.spawn(spec);
    const all = await d.consoleOutput("g1");
    expect(all).toContain("eth0: leased 10.0.0.2");
    expect(all).toContain("web login:");
    expect(all.endsWith("web login:\n")).toBe(true);
  });

  it("fails to spawn a guest whose name asks for it, and takes its configured time", async () => {
    const d = new FakeDriver({ hostname: "h1", stepMs: 30 });
    await expect(d.spawn({ ...spec, name: "x-nimbus-fake-fail" })).rejects.toThrow("spawn failed");
    const start = Date.now();
    await d.spawn(spec);
    expect(Date.now() - start).toBeGreaterThanOrEqual(25);
  });

  it("fails to spawn only on the host a name's nimbus-fake-fail-on-<host> word names", async () => {
    const h1 = new FakeDriver({ hostname: "h1", stepMs: 0 });
    const h10 = new FakeDriver({ hostname: "h10", stepMs: 0 });
    const flaky = { ...spec, name: "flaky nimbus-fake-fail-on-h1" };
    await expect(h1.spawn(flaky)).rejects.toThrow("spawn failed");
    await h10.spawn(flaky);
    expect(await h10.powerState(spec.uuid)).toBe(PowerState.RUNNING);
  });

  describe("live migration", () => {
    const MEMORY = 512 * 1024 * 1024;
    const DISK = 1024 * 1024 * 1024;

    it("copies the guest over its rounds, reporting each, and it runs on the destination as it ran", async () => {
      const [a, b] = [
        new FakeDriver({ hostname: "a", stepMs: 0 }),
        new FakeDriver({ hostname: "b", stepMs: 0 }),
      ];
      await a.spawn(spec);
      await a.pause("g1");
      const reports: LiveMigrationProgress[] = [];
      await a.liveMigrate("g1", b, { blockMigration: true, onProgress: (p) => void reports.push(p) });
      expect(reports).toHaveLength(LIVE_MIGRATION_ROUNDS);
      expect(reports[0]).toEqual({
        memoryTotalBytes: MEMORY,
        memoryProcessedBytes: Math.floor(MEMORY / 10),
        memoryRemainingBytes: MEMORY - Math.floor(MEMORY / 10),
        diskTotalBytes: DISK,
        diskProcessedBytes: Math.floor(DISK / 10),
        diskRemainingBytes: DISK - Math.floor(DISK / 10),
      });
      expect(reports.at(-1)).toMatchObject({ memoryRemainingBytes: 0, diskRemainingBytes: 0 });
      expect(await b.powerState("g1")).toBe(PowerState.PAUSED);
      expect(await b.consoleOutput("g1")).toContain("live migration from a completed");
      // the source keeps its guest until it is destroyed: the caller records the switch-over first
      expect(await a.powerState("g1")).toBe(PowerState.PAUSED);
      // without block migration the disk is on shared storage: nothing of it is copied
      const c = new FakeDriver({ hostname: "c", stepMs: 0 });
      const shared: LiveMigrationProgress[] = [];
      await b.liveMigrate("g1", c, { blockMigration: false, onProgress: (p) => void shared.push(p) });
      expect(shared.at(-1)).toMatchObject({ diskTotalBytes: 0, memoryRemainingBytes: 0 });
    });

    it("takes a step per round; force_complete copies the rest at once", async () => {
      const [a, b] = [
        new FakeDriver({ hostname: "a", stepMs: 50 }),
        new FakeDriver({ hostname: "b", stepMs: 50 }),
      ];
      await a.spawn(spec);
      const started = Date.now();
      let rounds = 0;
      const copy = a.liveMigrate("g1", b, {
        blockMigration: true,
        onProgress: async () => {
          rounds++;
          if (rounds === 2) await a.liveMigrationForceComplete("g1");
        },
      });
      await copy;
      expect(rounds).toBe(3);
      expect(Date.now() - started).toBeLessThan(50 * LIVE_MIGRATION_ROUNDS);
      expect(await b.powerState("g1")).toBe(PowerState.RUNNING);
      // nothing runs any more: forcing again is a no-op
      await a.liveMigrationForceComplete("g1");
    });

    it("an abort or a failure leaves the guest on its source and nothing on the destination", async () => {
      const [a, b] = [
        new FakeDriver({ hostname: "a", stepMs: 20 }),
        new FakeDriver({ hostname: "b", stepMs: 20 }),
      ];
      await a.spawn(spec);
      const aborted = new AbortController();
      const copy = a.liveMigrate("g1", b, {
        blockMigration: true,
        signal: aborted.signal,
        onProgress: () => aborted.abort(new Error("stop")),
      });
      await expect(copy).rejects.toThrow("stop");
      expect(await b.powerState("g1")).toBe(PowerState.NOSTATE);
      expect(await a.powerState("g1")).toBe(PowerState.RUNNING);
      await a.spawn({ ...spec, uuid: "g2", name: "nimbus-fake-migration-fail" });
      await expect(a.liveMigrate("g2", b, { blockMigration: false })).rejects.toThrow(
        "live migration failed",
      );
      expect(await b.powerState("g2")).toBe(PowerState.NOSTATE);
      await expect(a.liveMigrate("g1", a, { blockMigration: false })).rejects.toThrow("cannot live migrate");
    });
  });
});
