import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ALICE } from "../../image/testing.js";
import { openTaskKit, type TaskKit } from "./testing.js";

let kit: TaskKit;
beforeAll(async () => {
  kit = await openTaskKit();
});
afterAll(async () => kit.close());

/** Creates a backup image as the API does and runs the backup task; returns the image id. */
async function backup(uuid: string, backupType: string, rotation: number) {
  const imageId = await kit.images.createSnapshot(ALICE, {
    name: `${backupType}-backup`,
    instanceUuid: uuid,
    properties: { instance_uuid: uuid, image_type: "backup", backup_type: backupType },
  });
  const walk = await kit.run(uuid, "backup", "image_backup", {
    imageId,
    backupType,
    rotation,
    requester: ALICE,
  });
  // distinct creation times, so that "newest" is well defined
  await new Promise((resolve) => setTimeout(resolve, 3));
  return { imageId, walk };
}

async function backupsOf(uuid: string, backupType: string) {
  const { images } = await kit.images.list(ALICE, {
    properties: { instance_uuid: uuid, image_type: "backup", backup_type: backupType },
  });
  return images.map((i) => i.id);
}

describe("createBackup", () => {
  it("image_backup → image_pending_upload → image_uploading → done; the image turns active", async () => {
    const uuid = await kit.server();
    const { imageId, walk } = await backup(uuid, "daily", 1);
    expect(walk).toEqual([
      "active/image_backup",
      "active/image_pending_upload",
      "active/image_uploading",
      "active/-",
    ]);
    expect((await kit.images.get(ALICE, imageId)).status).toBe("active");
    expect((await kit.lastAction(uuid)).events.map((e) => [e.event, e.result])).toEqual([
      ["compute_backup_instance", "Success"],
    ]);
  });

  it("keeps the newest `rotation` backups of the type and deletes the older ones", async () => {
    const uuid = await kit.server();
    const first = await backup(uuid, "weekly", 2);
    const second = await backup(uuid, "weekly", 2);
    expect(await backupsOf(uuid, "weekly")).toEqual([second.imageId, first.imageId]);
    const third = await backup(uuid, "weekly", 2);
    expect(await backupsOf(uuid, "weekly")).toEqual([third.imageId, second.imageId]);
    // a lower rotation drops all but the newest
    const fourth = await backup(uuid, "weekly", 1);
    expect(await backupsOf(uuid, "weekly")).toEqual([fourth.imageId]);
  });

  it("rotates per type and per server only", async () => {
    const uuid = await kit.server();
    const other = await kit.server();
    const daily = await backup(uuid, "daily", 1);
    const otherDaily = await backup(other, "daily", 1);
    await backup(uuid, "weekly", 1);
    await backup(uuid, "weekly", 1);
    expect(await backupsOf(uuid, "daily")).toEqual([daily.imageId]);
    expect(await backupsOf(other, "daily")).toEqual([otherDaily.imageId]);
    expect(await backupsOf(uuid, "weekly")).toHaveLength(1);
  });

  it("rotation 0 deletes every backup of the type, the new one too", async () => {
    const uuid = await kit.server();
    await backup(uuid, "hourly", 5);
    await backup(uuid, "hourly", 5);
    await backup(uuid, "hourly", 0);
    expect(await backupsOf(uuid, "hourly")).toEqual([]);
  });

  it("skips a backup it may not delete (protected) and goes on", async () => {
    const uuid = await kit.server();
    const kept = await backup(uuid, "monthly", 3);
    await kit.images.update(ALICE, kept.imageId, [{ op: "replace", path: "protected", value: true }]);
    await backup(uuid, "monthly", 3);
    await backup(uuid, "monthly", 0);
    expect(await backupsOf(uuid, "monthly")).toEqual([kept.imageId]);
  });

  it("a failed snapshot drops the image and leaves the server as it was, with a fault", async () => {
    const uuid = await kit.server();
    vi.spyOn(kit.driver, "snapshot").mockRejectedValueOnce(new Error("disk unreadable"));
    const { imageId, walk } = await backup(uuid, "daily", 1);
    expect(walk.at(-1)).toBe("active/-");
    await expect(kit.images.get(ALICE, imageId)).rejects.toThrow();
    expect((await kit.instances.get(uuid))?.fault?.message).toBe("disk unreadable");
    expect((await kit.lastAction(uuid)).message).toBe("Error");
  });
});
