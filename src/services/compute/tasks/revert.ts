import type { InstanceUpdate } from "../../../store/schema.js";
import type { TaskContext } from "../../../tasks/engine.js";
import type { TaskSupport } from "./support.js";

/**
 * The end of a failed host operation that is no reason for ERROR (nova's
 * `reverts_task_state` with `wrap_instance_fault`): the server keeps its vm_state, its
 * task_state is cleared, the error becomes its latest fault and the action is marked failed.
 */
export async function revertTaskState(
  s: TaskSupport,
  ctx: TaskContext<unknown>,
  error: unknown,
  changes: InstanceUpdate = {},
): Promise<void> {
  const uuid = ctx.task.instance_uuid;
  if (uuid) {
    const applied = await s.instances.update(
      s.db,
      uuid,
      { task_state: null, ...changes },
      { notDeleted: true },
    );
    if (applied) {
      const message = error instanceof Error ? error.message : String(error);
      const details = error instanceof Error ? (error.stack ?? null) : null;
      await s.instances.setFault(s.db, uuid, 500, message, details);
    }
  }
  await s.finishAction(ctx, "Error");
}
