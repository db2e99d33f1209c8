import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AuthContext } from "../src/services/context.js";

/** A fresh temporary directory, removed when the test process exits. */
export function tempDir(prefix = "nimbus-test-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The shared reference corpus beside the repository (`../shared`). */
export const SHARED = path.resolve(import.meta.dirname, "..", "..", "shared");

export function authContext(overrides: Partial<AuthContext> = {}): AuthContext {
  return {
    userId: "u-member",
    userName: "member",
    projectId: "0123456789abcdef0123456789abcdef",
    projectName: "demo",
    roles: ["member", "reader"],
    isAdmin: false,
    requestId: "req-00000000-0000-4000-8000-000000000000",
    ...overrides,
  };
}
