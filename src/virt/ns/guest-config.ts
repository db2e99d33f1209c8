import fs from "node:fs/promises";
import path from "node:path";
import type { GuestSpec } from "../driver.js";

/** Where in the guest's filesystem the host leaves what the guest needs to know (read by /sbin/init). */
export const GUEST_CONFIG_DIR = "etc/nimbus";

/**
 * nova keeps user_data as the API took it, base64; the guest gets the decoded bytes, as
 * from nova's metadata service.
 */
export function decodeUserData(userData: string): Buffer {
  return Buffer.from(userData, "base64");
}

/**
 * Writes the server's hostname, id, user-data and public key into a disk's upper dir before
 * it boots (the overlay is not mounted then, so writing the upper dir is writing the
 * disk). `userData: false` leaves user-data out (a rescue system does not run it).
 */
export async function writeGuestConfig(
  upperDir: string,
  spec: GuestSpec,
  options: { userData?: boolean } = {},
): Promise<void> {
  const dir = path.join(upperDir, GUEST_CONFIG_DIR);
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  await fs.writeFile(path.join(dir, "hostname"), `${spec.hostname}\n`);
  await fs.writeFile(path.join(dir, "instance-id"), `${spec.uuid}\n`);
  const userData = path.join(dir, "user-data");
  if (spec.userData && options.userData !== false) {
    await fs.writeFile(userData, decodeUserData(spec.userData), { mode: 0o600 });
  } else {
    await fs.rm(userData, { force: true });
  }
  const keys = path.join(dir, "authorized_keys");
  if (spec.keyData) await fs.writeFile(keys, `${spec.keyData.trim()}\n`, { mode: 0o600 });
  else await fs.rm(keys, { force: true });
}
