import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { HIERARCHIES } from "./cgroups.js";
import { run } from "./exec.js";
import { CONTAINER_NAMESPACES } from "./launcher.js";

/** The host tools the ns driver runs, by their paths. */
export interface NsTools {
  /** A static busybox: the launcher's shell and the default image's userland (busybox-static). */
  busybox: string;
  /** util-linux unshare (busybox's lacks --kill-child and --propagation). */
  unshare: string;
  tar: string;
  /** util-linux script: gives the container a pty, copied to its console log, its input a FIFO. */
  script: string;
}

export const DEFAULT_TOOLS: NsTools = {
  busybox: "/bin/busybox",
  unshare: "/usr/bin/unshare",
  tar: "/usr/bin/tar",
  script: "/usr/bin/script",
};

export interface ProbeOptions {
  tools: NsTools;
  /** Where cgroup hierarchies are mounted (v1 controllers and `unified`). */
  cgroupRoot: string;
  /** A scratch dir on the filesystem servers' disks will live on (the overlay test mounts there). */
  workDir: string;
  /** The deployment's prefix: the probe's own cgroups carry it. */
  prefix: string;
}

/** The machine lacks what the ns driver needs; the message names each missing capability. */
export class NsHostUnsupported extends Error {
  constructor(readonly missing: readonly string[]) {
    super(`the ns driver cannot run servers on this machine: ${missing.join("; ")}`);
  }
}

/**
 * What the machine does not allow of what the ns driver needs, each as a sentence (empty:
 * all there): root, the tools, a group of its own in each cgroup hierarchy (v1 memory,
 * cpu, cpuacct, pids, freezer and the cgroup2 `unified` tree with cgroup.kill), new
 * pid/mount/uts/ipc/net namespaces and an overlayfs mount. Each test makes its own things
 * under the deployment's prefix and removes them by their paths.
 */
export async function probeNsHost(options: ProbeOptions): Promise<string[]> {
  const missing: string[] = [];
  const uid = process.getuid?.();
  if (uid !== 0) missing.push(`it must run as root (this process runs as uid ${uid ?? "unknown"})`);
  const tools: Array<[keyof NsTools, string]> = [
    ["busybox", "install busybox-static"],
    ["unshare", "install util-linux"],
    ["tar", "install tar"],
    ["script", "install util-linux"],
  ];
  for (const [tool, hint] of tools) {
    const file = options.tools[tool];
    const ok = await fs.access(file, fs.constants.X_OK).then(
      () => true,
      () => false,
    );
    if (!ok) missing.push(`${tool} is missing: no executable ${file} (${hint})`);
  }
  const probe = `${options.prefix}-probe-${randomBytes(4).toString("hex")}`;
  for (const hierarchy of HIERARCHIES) {
    const group = path.join(options.cgroupRoot, hierarchy, probe);
    try {
      await fs.mkdir(group);
      try {
        if (hierarchy === "unified") await fs.access(path.join(group, "cgroup.kill"));
      } finally {
        await fs.rmdir(group);
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      const what =
        hierarchy === "unified" ? "cgroup2 group with cgroup.kill" : `cgroup v1 ${hierarchy} group`;
      missing.push(`cannot make a ${what} under ${path.join(options.cgroupRoot, hierarchy)} (${code})`);
    }
  }
  if (missing.length > 0) return missing;
  const { busybox, unshare } = options.tools;
  try {
    await run(unshare, [...CONTAINER_NAMESPACES, busybox, "true"]);
  } catch (error) {
    missing.push(`cannot make pid, mount, uts, ipc and net namespaces with unshare (${message(error)})`);
    return missing;
  }
  await fs.mkdir(options.workDir, { recursive: true });
  const dir = await fs.mkdtemp(path.join(options.workDir, "probe-"));
  try {
    for (const d of ["lower", "upper", "work", "merged"]) await fs.mkdir(path.join(dir, d));
    await fs.writeFile(path.join(dir, "lower", "probe"), "lower\n");
    const script =
      'mount -t overlay overlay -o "lowerdir=$1/lower,upperdir=$1/upper,workdir=$1/work" "$1/merged" && cat "$1/merged/probe"';
    const { stdout } = await run(unshare, [
      "--mount",
      "--propagation",
      "private",
      busybox,
      "sh",
      "-c",
      script,
      "sh",
      dir,
    ]);
    if (stdout.trim() !== "lower") missing.push("an overlayfs mount does not show its lower dir");
  } catch (error) {
    missing.push(`cannot mount overlayfs on ${options.workDir} (${message(error)})`);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
  return missing;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
