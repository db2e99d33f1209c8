import type { TaskHandler } from "../../../tasks/engine.js";
import type { AuthContext } from "../../context.js";
import { elevated } from "./requester.js";
import { revertTaskState } from "./revert.js";
import type { TaskSupport } from "./support.js";

interface BackupPayload {
  imageId: string;
  backupType: string;
  /** How many backups of this type to keep, this one included. */
  rotation: number;
  /** Who asked: the backups they see are the ones rotated (nova uses the request's context). */
  requester: AuthContext;
}

/** Glance's page size limit: the rotation reads every page. */
const PAGE = 1000;

/**
 * nova's `_rotate_backups`: of the server's backups of this type, newest first, those
 * beyond `rotation` are deleted (rotation 0 deletes them all, the new one too). An image
 * that cannot be deleted (protected, gone) is skipped, as nova logs and goes on.
 */
async function rotateBackups(s: TaskSupport, instanceUuid: string, payload: BackupPayload): Promise<void> {
  const backups: string[] = [];
  let marker: string | undefined;
  do {
    const page = await s.images.list(payload.requester, {
      properties: { image_type: "backup", backup_type: payload.backupType, instance_uuid: instanceUuid },
      sortKeys: ["created_at"],
      sortDirs: ["desc"],
      limit: PAGE,
      ...(marker ? { marker } : {}),
    });
    backups.push(...page.images.map((image) => image.id));
    marker = page.nextMarker;
  } while (marker);
  for (const id of backups.slice(payload.rotation)) {
    await s.images.delete(payload.requester, id).catch(() => undefined);
  }
}

/**
 * createBackup: image_backup → image_pending_upload → image_uploading → done; the image
 * turns active, then older backups of the same type are rotated out.
 */
export function backupTask(s: TaskSupport): TaskHandler<BackupPayload> {
  return {
    kind: "backup",
    steps: [
      async (ctx) => {
        const instance = await s.instance(ctx);
        const driver = s.driver(instance);
        await s.event(ctx, "compute_backup_instance", driver.hostname, async () => {
          await s.set(instance.uuid, { task_state: "image_pending_upload" });
          const data = await driver.snapshot(instance.uuid);
          await s.set(instance.uuid, { task_state: "image_uploading" });
          await s.images.uploadSnapshot(ctx.payload.imageId, data);
          await s.set(instance.uuid, { task_state: null });
          await rotateBackups(s, instance.uuid, ctx.payload);
        });
        await s.finishAction(ctx);
      },
    ],
    async onFailure(ctx, error) {
      // a backup that never finished uploading is dropped (nova's delete_image_on_error)
      const image = await s.images
        .get(elevated(ctx.payload.requester), ctx.payload.imageId)
        .catch(() => undefined);
      if (image && image.status !== "active") await s.images.deleteSnapshot(image.id).catch(() => undefined);
      await revertTaskState(s, ctx, error);
    },
  };
}
