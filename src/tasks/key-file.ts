import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { SecretBox } from "./secret-box.js";

/**
 * The SecretBox of the key in `file` (64 hex digits), created with a new random key, mode
 * 0600, when there is none. Kept out of the database so that a copy of the database (a
 * backup, a dump, its WAL) cannot open what the task rows hold sealed. Processes that share
 * one PostgreSQL database must be given the same file: a task sealed by one is run by any.
 */
export async function openKeyFile(file: string): Promise<SecretBox> {
  try {
    return await readKey(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  await fs.writeFile(temporary, `${SecretBox.newKey().toString("hex")}\n`, { mode: 0o600 });
  await fs.chmod(temporary, 0o600);
  try {
    // link, unlike rename, refuses to replace: of two processes creating the key, one wins
    await fs.link(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    await fs.rm(temporary, { force: true });
  }
  return readKey(file);
}

async function readKey(file: string): Promise<SecretBox> {
  const text = (await fs.readFile(file, "utf8")).trim();
  if (!/^[0-9a-f]{64}$/i.test(text)) throw new Error(`${file} does not hold a 256-bit key in hex`);
  // a key others can read protects nothing: take their access away
  if (((await fs.stat(file)).mode & 0o077) !== 0) await fs.chmod(file, 0o600);
  return new SecretBox(Buffer.from(text, "hex"));
}
