import { createHash } from "node:crypto";
import path from "node:path";
import { NsDriver } from "./driver.js";
import { DEFAULT_TOOLS, NsHostUnsupported, type NsTools, probeNsHost } from "./probe.js";
import type { ImageFiles } from "./rootfs.js";

/**
 * The prefix every cgroup of a deployment carries: `nimbus-` and 8 hex digits of a hash of
 * its data dir, so that two nimbus processes (or test runs) on one machine never share a
 * name, and what a data dir made is told apart from anything else's.
 */
export function deploymentPrefix(dataDir: string): string {
  return `nimbus-${createHash("sha256").update(path.resolve(dataDir)).digest("hex").slice(0, 8)}`;
}

/** The ns driver's directory in a data dir. */
export function nsDir(dataDir: string): string {
  return path.join(dataDir, "ns");
}

export interface NsHostOptions {
  hostname: string;
  dataDir: string;
  images: ImageFiles;
  tools?: NsTools;
  cgroupRoot?: string;
  shutdownTimeoutMs?: number;
}

/**
 * The ns host of a data dir, after probing what the machine allows: rejects with
 * NsHostUnsupported naming every missing capability, never a half-working driver.
 */
export async function openNsHost(options: NsHostOptions): Promise<NsDriver> {
  const tools = options.tools ?? DEFAULT_TOOLS;
  const cgroupRoot = options.cgroupRoot ?? "/sys/fs/cgroup";
  const prefix = deploymentPrefix(options.dataDir);
  const dir = nsDir(options.dataDir);
  const missing = await probeNsHost({ tools, cgroupRoot, workDir: dir, prefix });
  if (missing.length > 0) throw new NsHostUnsupported(missing);
  return new NsDriver({
    hostname: options.hostname,
    dir,
    prefix,
    images: options.images,
    tools,
    cgroupRoot,
    ...(options.shutdownTimeoutMs !== undefined ? { shutdownTimeoutMs: options.shutdownTimeoutMs } : {}),
  });
}
