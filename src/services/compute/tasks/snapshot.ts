import type { TaskHandler } from "../../../tasks/engine.js";
import type { TaskSupport } from "./support.js";

/** createImage: image_snapshot → image_pending_upload → image_uploading → done; the image turns active. */
export function snapshotTask(s: TaskSupport): TaskHandler<{ imageId: string }> {
  return {
    kind: "snapshot",
    steps: [
      async (ctx) => {
        const instance = await s.instance(ctx);
        const driver = s.driver(instance);
        await s.event(ctx, "compute_snapshot_instance", driver.hostname, async () => {
          await s.set(instance.uuid, { task_state: "image_pending_upload" });
          const data = await driver.snapshot(instance.uuid);
          await s.set(instance.uuid, { task_state: "image_uploading" });
          await s.images.uploadSnapshot(ctx.payload.imageId, data);
          await s.set(instance.uuid, { task_state: null });
        });
        await s.finishAction(ctx);
      },
    ],
    async onFailure(ctx, error) {
      // nova leaves the server as it was (a failed snapshot is no reason for ERROR) and drops the image
      if (ctx.task.instance_uuid) {
        await s.instances.update(s.db, ctx.task.instance_uuid, { task_state: null }, { notDeleted: true });
      }
      await s.images.deleteSnapshot(ctx.payload.imageId).catch(() => undefined);
      await s.finishAction(ctx, `Error: ${error instanceof Error ? error.message : String(error)}`);
    },
  };
}
