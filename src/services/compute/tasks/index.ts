import type { TaskEngine } from "../../../tasks/engine.js";
import { backupTask } from "./backup.js";
import { buildTask } from "./build.js";
import { deleteTask } from "./delete.js";
import { liveMigrateTask } from "./live-migrate.js";
import { evacuateTask } from "./migrate.js";
import { setAdminPasswordTask } from "./password.js";
import { powerTask, rebootTask } from "./power.js";
import { rebuildTask } from "./rebuild.js";
import { rescueTask, unrescueTask } from "./rescue.js";
import { coldMigrateTask, confirmResizeTask, resizeTask, revertResizeTask } from "./resize.js";
import { shelveOffloadTask, shelveTask, unshelveTask } from "./shelve.js";
import { snapshotTask } from "./snapshot.js";
import { restoreTask, softDeleteTask } from "./soft-delete.js";
import type { TaskSupport } from "./support.js";

/** Every kind of compute task, registered on the engine that runs them. */
export function registerComputeTasks(engine: TaskEngine, support: TaskSupport): void {
  engine.register(buildTask(support));
  engine.register(deleteTask(support));
  engine.register(softDeleteTask(support));
  engine.register(restoreTask(support));
  engine.register(powerTask(support));
  engine.register(rebootTask(support));
  engine.register(resizeTask(support));
  engine.register(confirmResizeTask(support));
  engine.register(revertResizeTask(support));
  engine.register(rebuildTask(support));
  engine.register(snapshotTask(support));
  engine.register(backupTask(support));
  engine.register(shelveTask(support));
  engine.register(shelveOffloadTask(support));
  engine.register(unshelveTask(support));
  engine.register(rescueTask(support));
  engine.register(unrescueTask(support));
  engine.register(setAdminPasswordTask(support));
  engine.register(coldMigrateTask(support));
  engine.register(liveMigrateTask(support));
  engine.register(evacuateTask(support));
}
