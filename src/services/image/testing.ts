import type { Db } from "../../store/database.js";
import * as imageMigration from "../../store/migrations/0003-image.js";
import { migrations } from "../../store/migrations/index.js";
import { openTestDatabase } from "../../store/testing.js";
import type { AuthContext } from "../context.js";
import { ImageService, type ImageServiceOptions } from "./image-service.js";

export const PROJECT_A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
export const PROJECT_B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
export const ADMIN_PROJECT = "adadadadadadadadadadadadadadadad";

function caller(name: string, projectId: string, roles: string[], isAdmin = false): AuthContext {
  return {
    userId: `u-${name}`,
    userName: name,
    projectId,
    projectName: `p-${name}`,
    roles,
    isAdmin,
    requestId: "req-00000000-0000-4000-8000-000000000000",
  };
}

/** A member of project A, a member of project B, a reader of A, and an admin. */
export const ALICE = caller("alice", PROJECT_A, ["member", "reader"]);
export const BOB = caller("bob", PROJECT_B, ["member", "reader"]);
export const READER_A = caller("rita", PROJECT_A, ["reader"]);
export const ADMIN = caller("admin", ADMIN_PROJECT, ["admin", "member", "reader"], true);

/** Test support: an ImageService over a fresh database and data directory. */
export async function openImageTestService(
  options: Partial<ImageServiceOptions> = {},
): Promise<{ images: ImageService; db: Db; dataDir: string; close: () => Promise<void> }> {
  const t = await openTestDatabase();
  // until migrations/index.ts lists 0003, apply it here
  if (!Object.hasOwn(migrations, "0003-image")) await imageMigration.up(t.db);
  const images = new ImageService(t.db, { dataDir: t.dataDir, ...options });
  return { images, db: t.db, dataDir: t.dataDir, close: t.close };
}
