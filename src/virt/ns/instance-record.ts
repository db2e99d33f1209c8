import fs from "node:fs/promises";
import path from "node:path";
import type { GuestSpec, Vif } from "../driver.js";
import type { Hierarchy } from "./cgroups.js";

/**
 * What the driver made for one server, kept as JSON in the server's instance dir so that
 * clean-up goes by these recorded paths (never by a name pattern) and a restarted nimbus
 * finds its servers again.
 */
export interface InstanceRecord {
  uuid: string;
  /** The server's instance dir: upper, work, merged, console.log and this record. */
  dir: string;
  /** The server's groups, one per hierarchy. */
  cgroups: Record<Hierarchy, string>;
  spec: GuestSpec;
  /** The unpacked image the disk is an overlay on. */
  lowerDir: string;
  /** The container's init (PID 1 inside) as the host numbers it, and its start time (clock ticks after boot). */
  init: { pid: number; startTicks: number } | null;
  /** When the guest last booted (ms since the epoch). */
  bootedAt: number | null;
  /** Suspended: frozen with its memory kept in RAM (no checkpoint to disk on this host). */
  suspended: boolean;
  /** Booted from a rescue image, its own disk at /mnt/disk. */
  rescue: { imageRef: string; lowerDir: string; dir: string } | null;
  vifs: Vif[];
}

export const RECORD_FILE = "instance.json";

export async function saveRecord(record: InstanceRecord): Promise<void> {
  const file = path.join(record.dir, RECORD_FILE);
  const temp = `${file}.tmp`;
  await fs.writeFile(temp, `${JSON.stringify(record, null, 2)}\n`);
  await fs.rename(temp, file);
}

export async function loadRecord(dir: string): Promise<InstanceRecord | undefined> {
  const text = await fs.readFile(path.join(dir, RECORD_FILE), "utf8").catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as InstanceRecord);
}
