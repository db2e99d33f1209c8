import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openKeyFile } from "./key-file.js";

let dir: string;
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
const keyFile = () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "nimbus-key-"));
  return path.join(dir, "data", "task-secrets.key");
};
const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe("openKeyFile", () => {
  it("creates a random key readable by its owner only, and opens the same key again", async () => {
    const file = keyFile();
    const first = await openKeyFile(file);
    expect(mode(file)).toBe(0o600);
    expect(fs.readFileSync(file, "utf8")).toMatch(/^[0-9a-f]{64}\n$/);
    expect(fs.readdirSync(path.dirname(file))).toEqual(["task-secrets.key"]);
    const again = await openKeyFile(file);
    expect(again.open(first.seal("s3cret", "t"), "t")).toBe("s3cret");
  });

  it("makes two concurrent first starts agree on one key", async () => {
    const file = keyFile();
    const [a, b] = await Promise.all([openKeyFile(file), openKeyFile(file)]);
    expect(b.open(a.seal("s3cret", "t"), "t")).toBe("s3cret");
  });

  it("takes the access of others away from an existing key file", async () => {
    const file = keyFile();
    await openKeyFile(file);
    fs.chmodSync(file, 0o644);
    await openKeyFile(file);
    expect(mode(file)).toBe(0o600);
  });

  it("refuses a file that holds no key", async () => {
    const file = keyFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, "not a key\n", { mode: 0o600 });
    await expect(openKeyFile(file)).rejects.toThrow("does not hold a 256-bit key");
  });
});
