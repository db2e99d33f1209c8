import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PowerState } from "../../../virt/power-state.js";
import { ADMIN, ALICE } from "../../image/testing.js";
import { openTaskKit, type TaskKit } from "./testing.js";

let kit: TaskKit;
beforeAll(async () => {
  kit = await openTaskKit();
});
afterAll(async () => kit.close());

/** The image the API creates for a shelve (`<name>-shelved`), owned by `owner`. */
const shelveImage = (uuid: string, owner = ALICE) =>
  kit.images.createSnapshot(owner, { name: "vm-shelved", instanceUuid: uuid, properties: {} });

const imageStatus = async (id: string) => (await kit.images.get(ALICE, id).catch(() => undefined))?.status;

/** A server shelved and offloaded by the shelve task; returns its snapshot's id. */
async function offloaded(uuid: string): Promise<string> {
  const imageId = await shelveImage(uuid);
  await kit.run(uuid, "shelve", "shelving", { imageId });
  return imageId;
}

describe("shelve", () => {
  it("snapshots, then offloads at once: SHELVED on the way, SHELVED_OFFLOADED without a host", async () => {
    const uuid = await kit.server();
    const imageId = await shelveImage(uuid);
    const walk = await kit.run(uuid, "shelve", "shelving", { imageId });
    expect(walk).toEqual([
      "active/shelving",
      "active/shelving_image_pending_upload",
      "active/shelving_image_uploading",
      "shelved/shelving_offloading",
      "shelved_offloaded/-",
    ]);
    const row = await kit.row(uuid);
    expect(row).toMatchObject({
      vm_state: "shelved_offloaded",
      task_state: null,
      power_state: PowerState.SHUTDOWN,
      host: null,
      node: null,
      availability_zone: "nova",
      shelved_image_id: imageId,
    });
    expect(await imageStatus(imageId)).toBe("active");
    // the guest is gone from the host
    expect(await kit.driver.powerState(uuid)).toBe(PowerState.NOSTATE);
    const action = await kit.lastAction(uuid);
    expect(action.message).toBeNull();
    expect(action.events.map((e) => [e.event, e.result])).toEqual([["compute_shelve_instance", "Success"]]);
  });

  it("shuts down a paused or suspended guest first", async () => {
    for (const state of ["paused", "suspended"] as const) {
      const uuid = await kit.server({ vm_state: state });
      if (state === "paused") await kit.driver.pause(uuid);
      else await kit.driver.suspend(uuid);
      const off = vi.spyOn(kit.driver, "powerOff");
      await offloaded(uuid);
      expect(off).toHaveBeenCalledWith(uuid);
      off.mockRestore();
      expect((await kit.row(uuid)).vm_state).toBe("shelved_offloaded");
    }
  });

  it("a failed snapshot leaves the server as it was, with a fault, and drops the image", async () => {
    const uuid = await kit.server();
    const imageId = await shelveImage(uuid);
    const snapshot = vi.spyOn(kit.driver, "snapshot").mockRejectedValueOnce(new Error("disk unreadable"));
    const walk = await kit.run(uuid, "shelve", "shelving", { imageId });
    snapshot.mockRestore();
    expect(walk.at(-1)).toBe("active/-");
    const row = await kit.row(uuid);
    expect(row).toMatchObject({
      vm_state: "active",
      task_state: null,
      host: "fake-host",
      shelved_image_id: null,
    });
    expect((await kit.instances.get(uuid))?.fault).toMatchObject({ code: 500, message: "disk unreadable" });
    expect(await imageStatus(imageId)).toBeUndefined();
    expect((await kit.lastAction(uuid)).message).toBe("Error");
  });

  it("a failed offload leaves it SHELVED on its host with its snapshot; shelveOffload then finishes it", async () => {
    const uuid = await kit.server();
    const imageId = await shelveImage(uuid);
    const destroy = vi.spyOn(kit.driver, "destroy").mockRejectedValueOnce(new Error("host busy"));
    await kit.run(uuid, "shelve", "shelving", { imageId });
    destroy.mockRestore();
    expect(await kit.row(uuid)).toMatchObject({
      vm_state: "shelved",
      task_state: null,
      host: "fake-host",
      power_state: PowerState.SHUTDOWN,
      shelved_image_id: imageId,
    });
    expect(await imageStatus(imageId)).toBe("active");

    const walk = await kit.run(uuid, "shelve_offload", "shelving_offloading");
    expect(walk).toEqual(["shelved/shelving_offloading", "shelved_offloaded/-"]);
    expect(await kit.row(uuid)).toMatchObject({ host: null, node: null, power_state: PowerState.SHUTDOWN });
    expect((await kit.lastAction(uuid)).events.map((e) => e.event)).toEqual([
      "compute_shelve_offload_instance",
    ]);
  });
});

describe("unshelve", () => {
  it("of an offloaded server: a host is chosen, the guest spawned from the snapshot, which is then deleted", async () => {
    const uuid = await kit.server();
    const imageId = await offloaded(uuid);
    const spawn = vi.spyOn(kit.driver, "spawn");
    const walk = await kit.run(uuid, "unshelve", "unshelving", { host: null, requester: ALICE });
    expect(spawn).toHaveBeenCalledWith(expect.objectContaining({ uuid, imageRef: imageId }));
    spawn.mockRestore();
    expect(walk).toEqual(["shelved_offloaded/unshelving", "shelved_offloaded/spawning", "active/-"]);
    const row = await kit.row(uuid);
    expect(row).toMatchObject({
      vm_state: "active",
      task_state: null,
      power_state: PowerState.RUNNING,
      host: "fake-host",
      node: "fake-host",
      availability_zone: "nova",
      image_ref: "base-image",
      shelved_image_id: null,
    });
    expect(await imageStatus(imageId)).toBeUndefined();
    expect((await kit.lastAction(uuid)).events.map((e) => [e.event, e.result])).toEqual([
      ["get_image_info", "Success"],
      ["schedule_instances", "Success"],
      ["compute_unshelve_instance", "Success"],
    ]);
  });

  it("reads a snapshot another project's admin owns (nova's elevated context)", async () => {
    const uuid = await kit.server();
    const imageId = await shelveImage(uuid, ADMIN);
    await kit.run(uuid, "shelve", "shelving", { imageId });
    await kit.run(uuid, "unshelve", "unshelving", { host: null, requester: ALICE });
    expect((await kit.row(uuid)).vm_state).toBe("active");
  });

  it("puts the server in ERROR when its snapshot is gone", async () => {
    const uuid = await kit.server();
    const imageId = await offloaded(uuid);
    await kit.images.deleteSnapshot(imageId);
    const walk = await kit.run(uuid, "unshelve", "unshelving", { host: null, requester: ALICE });
    expect(walk.at(-1)).toBe("error/-");
    expect((await kit.instances.get(uuid))?.fault?.message).toBe(
      `Unshelve attempted but the image ${imageId} cannot be found.`,
    );
    expect((await kit.lastAction(uuid)).events.map((e) => [e.event, e.result])).toEqual([
      ["get_image_info", "Error"],
    ]);
  });

  it("a failed spawn leaves it offloaded, without a host, with a fault", async () => {
    const uuid = await kit.server();
    const imageId = await offloaded(uuid);
    const spawn = vi.spyOn(kit.driver, "spawn").mockRejectedValueOnce(new Error("no memory"));
    const walk = await kit.run(uuid, "unshelve", "unshelving", { host: null, requester: ALICE });
    spawn.mockRestore();
    expect(walk.at(-1)).toBe("shelved_offloaded/-");
    expect(await kit.row(uuid)).toMatchObject({ host: null, node: null, shelved_image_id: imageId });
    expect((await kit.instances.get(uuid))?.fault?.message).toBe("no memory");
    expect(await imageStatus(imageId)).toBe("active");
  });

  it("with no enabled host, stays offloaded without a fault (nova's conductor gives up)", async () => {
    const uuid = await kit.server();
    await offloaded(uuid);
    await kit.db.updateTable("services").set({ disabled: 1 }).where("binary", "=", "nova-compute").execute();
    const walk = await kit.run(uuid, "unshelve", "unshelving", { host: null, requester: ALICE });
    await kit.db.updateTable("services").set({ disabled: 0 }).where("binary", "=", "nova-compute").execute();
    expect(walk).toEqual(["shelved_offloaded/unshelving", "shelved_offloaded/-"]);
    expect(await kit.row(uuid)).toMatchObject({ host: null });
    expect((await kit.instances.get(uuid))?.fault).toBeNull();
    const action = await kit.lastAction(uuid);
    expect(action.message).toBe("Error");
    expect(action.events.map((e) => [e.event, e.result])).toEqual([
      ["get_image_info", "Success"],
      ["schedule_instances", "Error"],
    ]);
  });

  it("of a SHELVED server still on its host: powered on there", async () => {
    const uuid = await kit.server();
    const imageId = await shelveImage(uuid);
    await kit.images.uploadSnapshot(imageId, Buffer.from("disk"));
    await kit.driver.powerOff(uuid);
    await kit.instances.update(kit.db, uuid, {
      vm_state: "shelved",
      power_state: PowerState.SHUTDOWN,
      shelved_image_id: imageId,
    });
    const walk = await kit.run(uuid, "unshelve", "unshelving", { host: null, requester: ALICE });
    expect(walk).toEqual(["shelved/unshelving", "shelved/powering-on", "active/-"]);
    expect(await kit.row(uuid)).toMatchObject({ power_state: PowerState.RUNNING, shelved_image_id: null });
    expect(await imageStatus(imageId)).toBeUndefined();
    expect((await kit.lastAction(uuid)).events.map((e) => e.event)).toEqual(["compute_start_instance"]);
  });
});
