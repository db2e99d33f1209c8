import { describe, expect, it } from "vitest";
import { PowerState } from "../power-state.js";
import { FakeDriver } from "./driver.js";

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
});
