import fs from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** The cgroup v1 controllers a server's limits and counters live in. */
export const V1_CONTROLLERS = ["memory", "cpu", "cpuacct", "pids", "freezer"] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

/** The controller-less cgroup2 tree: cgroup.kill, cgroup.freeze and cgroup.events. */
export const UNIFIED = "unified";

/** Every hierarchy a server has a group in. */
export const HIERARCHIES = [...V1_CONTROLLERS, UNIFIED] as const;
export type Hierarchy = (typeof HIERARCHIES)[number];

/** A server's share of the host: what a flavor turns into. */
export interface Limits {
  memoryMb: number;
  vcpus: number;
  /** pids.max: processes and threads the server may have at once. */
  pids: number;
}

/** The CFS period the quota is a share of (the kernel's default, 100 ms). */
export const CPU_PERIOD_US = 100_000;

/** Processes a server may run per MiB of memory, floored: a flavor has no pid count of its own. */
export function pidsFor(memoryMb: number): number {
  return Math.max(64, Math.min(4096, Math.floor(memoryMb / 2)));
}

/**
 * One server's groups, one per hierarchy, by their paths (recorded in the server's record so
 * that clean-up goes by path). The paths are `<root>/<hierarchy>/<prefix>/<name>`.
 */
export class ServerCgroups {
  constructor(readonly paths: Readonly<Record<Hierarchy, string>>) {}

  /** The groups of `name` under the deployment's `prefix`, in the hierarchies mounted at `root`. */
  static at(root: string, prefix: string, name: string): ServerCgroups {
    const paths = Object.fromEntries(HIERARCHIES.map((h) => [h, path.join(root, h, prefix, name)]));
    return new ServerCgroups(paths as Record<Hierarchy, string>);
  }

  /** The deployment's own parent groups (`<root>/<hierarchy>/<prefix>`). */
  parents(): string[] {
    return HIERARCHIES.map((h) => path.dirname(this.paths[h]));
  }

  /** The files a process writes its pid into to join every group. */
  procsFiles(): string[] {
    return HIERARCHIES.map((h) => path.join(this.paths[h], "cgroup.procs"));
  }

  /** Makes the groups (and their parents) if missing and sets the limits. */
  async create(limits: Limits): Promise<void> {
    for (const h of HIERARCHIES) await fs.mkdir(this.paths[h], { recursive: true });
    await this.setLimits(limits);
  }

  async exists(): Promise<boolean> {
    return fs.stat(this.paths.unified).then(
      () => true,
      () => false,
    );
  }

  /** Writes memory, CPU quota and pids limits; on a running server they apply at once. */
  async setLimits(limits: Limits): Promise<void> {
    const bytes = limits.memoryMb * 1024 * 1024;
    const memory = this.paths.memory;
    await write(path.join(memory, "memory.limit_in_bytes"), String(bytes));
    await write(path.join(this.paths.cpu, "cpu.cfs_period_us"), String(CPU_PERIOD_US));
    await write(path.join(this.paths.cpu, "cpu.cfs_quota_us"), String(limits.vcpus * CPU_PERIOD_US));
    await write(path.join(this.paths.pids, "pids.max"), String(limits.pids));
  }

  /** The limits as the kernel holds them. */
  async readLimits(): Promise<{ memoryBytes: number; cpuQuotaUs: number; pidsMax: string }> {
    return {
      memoryBytes: Number(await read(path.join(this.paths.memory, "memory.limit_in_bytes"))),
      cpuQuotaUs: Number(await read(path.join(this.paths.cpu, "cpu.cfs_quota_us"))),
      pidsMax: await read(path.join(this.paths.pids, "pids.max")),
    };
  }

  /** Whether any process is left in the server (cgroup2's `populated`); false when the group is gone. */
  async populated(): Promise<boolean> {
    const events = await read(path.join(this.paths.unified, "cgroup.events")).catch(() => "");
    return /^populated 1$/m.test(events);
  }

  /** The pids in the server, as the kernel lists them. */
  async pids(): Promise<number[]> {
    const text = await read(path.join(this.paths.unified, "cgroup.procs")).catch(() => "");
    return text
      .split("\n")
      .filter((l) => l !== "")
      .map(Number);
  }

  /** Waits until no process is left, at most `timeoutMs`; answers whether it emptied. */
  async waitEmpty(timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (!(await this.populated())) return true;
      if (Date.now() >= end) return false;
      await sleep(5);
    }
  }

  /** Kills every process of the server at once (cgroup.kill) and waits until they are gone. */
  async kill(timeoutMs = 10_000): Promise<void> {
    if (!(await this.populated())) return;
    // a frozen group keeps its SIGKILLed tasks until thawed
    await this.thaw();
    await write(path.join(this.paths.unified, "cgroup.kill"), "1");
    if (!(await this.waitEmpty(timeoutMs))) {
      throw new Error(`processes of ${this.paths.unified} outlived cgroup.kill for ${timeoutMs} ms`);
    }
  }

  /** Freezes every process (v1 freezer) and waits until the kernel says FROZEN. */
  async freeze(timeoutMs = 10_000): Promise<void> {
    await this.#freezer("FROZEN", timeoutMs);
  }

  async thaw(timeoutMs = 10_000): Promise<void> {
    await this.#freezer("THAWED", timeoutMs);
  }

  async frozen(): Promise<boolean> {
    const state = await read(path.join(this.paths.freezer, "freezer.state")).catch(() => "THAWED");
    return state !== "THAWED";
  }

  async #freezer(state: "FROZEN" | "THAWED", timeoutMs: number): Promise<void> {
    const file = path.join(this.paths.freezer, "freezer.state");
    const end = Date.now() + timeoutMs;
    for (;;) {
      // FREEZING is written again until it settles, as the kernel documents
      await write(file, state);
      if ((await read(file)) === state) return;
      if (Date.now() >= end) throw new Error(`${file} did not reach ${state} in ${timeoutMs} ms`);
      await sleep(2);
    }
  }

  /** What the counters say: memory in use and its peak (bytes), CPU time (ns) and pids. */
  async counters(): Promise<{ memoryBytes: number; cpuNs: number; pids: number }> {
    return {
      memoryBytes: Number(await read(path.join(this.paths.memory, "memory.usage_in_bytes"))),
      cpuNs: Number(await read(path.join(this.paths.cpuacct, "cpuacct.usage"))),
      pids: Number(await read(path.join(this.paths.pids, "pids.current"))),
    };
  }

  /** Removes the empty groups by their paths; one still holding processes is an error. */
  async remove(): Promise<void> {
    for (const h of HIERARCHIES) {
      await fs.rmdir(this.paths[h]).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") throw error;
      });
    }
  }
}

async function read(file: string): Promise<string> {
  return (await fs.readFile(file, "utf8")).trim();
}

async function write(file: string, value: string): Promise<void> {
  await fs.writeFile(file, value);
}
