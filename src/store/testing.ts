import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Db, openDatabase } from "./database.js";

/** Test support: a fresh SQLite database in a temporary directory. */
export async function openTestDatabase(): Promise<{ db: Db; dataDir: string; close: () => Promise<void> }> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "nimbus-test-"));
  const db = await openDatabase(dataDir);
  return {
    db,
    dataDir,
    close: async () => {
      await db.destroy();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Test support: a server row that counts against its project's quota (or not, when deleted). */
export async function insertTestInstance(
  db: Db,
  spec: { projectId: string; userId?: string; vcpus: number; memoryMb: number; deleted?: boolean },
): Promise<string> {
  const uuid = randomUUID();
  const now = new Date().toISOString();
  await db
    .insertInto("instances")
    .values({
      uuid,
      project_id: spec.projectId,
      user_id: spec.userId ?? "u",
      display_name: "vm",
      hostname: "vm",
      flavor_id: "1",
      flavor: "{}",
      vcpus: spec.vcpus,
      memory_mb: spec.memoryMb,
      vm_state: spec.deleted ? "deleted" : "active",
      reservation_id: "r-1",
      created_at: now,
      updated_at: now,
      deleted: spec.deleted ? 1 : 0,
    })
    .execute();
  return uuid;
}
