/**
 * nova's reschedule of a failed build (`[scheduler] max_attempts`, 3 by default): a spawn
 * that fails on one host is tried on another the scheduler has not tried, until one
 * succeeds or the attempts (or hosts) are used up; then the server is in ERROR with
 * MaxRetriesExceeded. With max_attempts 1 the first failure is the server's fault.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComputeHarness, computeHarness, IMAGE_ID } from "../../../test/compute-harness.js";

const NANO = "42";
const EXHAUSTED = (id: string) =>
  `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${id}.`;

async function settle(h: ComputeHarness, name: string) {
  const created = await h.call({
    method: "POST",
    url: "/servers",
    version: "2.37",
    body: { server: { name, flavorRef: NANO, imageRef: IMAGE_ID, networks: "none" } },
  });
  expect(created.status, created.text).toBe(202);
  await h.drain();
  const id = created.json.server.id as string;
  return { id, shown: await h.show(id, { as: "admin" }) };
}

async function buildEvents(h: ComputeHarness, id: string) {
  const actions = await h.call({ url: `/servers/${id}/os-instance-actions`, as: "admin" });
  const create = actions.json.instanceActions.find((a: { action: string }) => a.action === "create");
  const detail = await h.call({
    url: `/servers/${id}/os-instance-actions/${create.request_id}`,
    as: "admin",
    version: "2.62",
  });
  return detail.json.instanceAction.events.map((e: { event: string; result: string; host: string }) => [
    e.result,
    e.host,
  ]);
}

const held = async (h: ComputeHarness, consumer: string) =>
  Object.keys(Object.fromEntries(await h.nimbus.compute.placement.allocationsOf(consumer)));

describe("reschedule with three hosts (max_attempts 3)", () => {
  let h: ComputeHarness;
  beforeAll(async () => {
    h = await computeHarness({ config: { fakeHosts: 3 } });
  });
  afterAll(async () => h.close());

  it("a spawn that fails on its first host is tried on another, where the server becomes ACTIVE", async () => {
    // equal hosts: the scheduler's first choice is the first by name
    const [first] = [...h.nimbus.drivers.hosts].sort();
    const { id, shown } = await settle(h, `flaky nimbus-fake-fail-on-${first}`);
    const host = shown["OS-EXT-SRV-ATTR:host"];
    expect([shown.status, shown["OS-EXT-STS:task_state"]]).toEqual(["ACTIVE", null]);
    expect(host).not.toBe(first);
    expect(await buildEvents(h, id)).toEqual([
      ["Error", first],
      ["Success", host],
    ]);
    // nothing is left on the host that failed
    expect(await held(h, id)).toEqual([host]);
    expect(await h.nimbus.drivers.get(first!)!.powerState(id)).toBe(0);
    expect(shown).not.toHaveProperty("fault");
  });

  it("a spawn that fails everywhere tries three hosts, then ERROR with MaxRetriesExceeded", async () => {
    const { id, shown } = await settle(h, "doomed nimbus-fake-fail");
    expect(shown.status).toBe("ERROR");
    expect(shown.fault).toMatchObject({ code: 500, message: EXHAUSTED(id) });
    const events = await buildEvents(h, id);
    expect(events.map(([result]: string[]) => result)).toEqual(["Error", "Error", "Error"]);
    expect(new Set(events.map(([, host]: string[]) => host)).size).toBe(3);
    expect(shown["OS-EXT-SRV-ATTR:host"]).toBeNull();
    expect(await held(h, id)).toEqual([]);
  });
});

describe("reschedule with two hosts and max_attempts 1", () => {
  let h: ComputeHarness;
  beforeAll(async () => {
    h = await computeHarness({ config: { fakeHosts: 2, schedulerMaxAttempts: 1 } });
  });
  afterAll(async () => h.close());

  it("never reschedules: the spawn's failure is the fault", async () => {
    const [first] = [...h.nimbus.drivers.hosts].sort();
    const { id, shown } = await settle(h, `flaky nimbus-fake-fail-on-${first}`);
    expect(shown.status).toBe("ERROR");
    expect(shown.fault.message).toBe("fake driver: spawn failed as requested by the server name");
    expect(await buildEvents(h, id)).toEqual([["Error", first]]);
  });
});

describe("reschedule with one host", () => {
  let h: ComputeHarness;
  beforeAll(async () => {
    h = await computeHarness();
  });
  afterAll(async () => h.close());

  it("has no other host to try: MaxRetriesExceeded after the one failure, as nova with one compute", async () => {
    const { id, shown } = await settle(h, "lonely nimbus-fake-fail");
    expect(shown.status).toBe("ERROR");
    expect(shown.fault.message).toBe(EXHAUSTED(id));
    expect((await buildEvents(h, id)).map(([result]: string[]) => result)).toEqual(["Error"]);
  });
});
