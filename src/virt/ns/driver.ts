import { spawn } from "node:child_process";
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type ConsoleProtocol,
  type ConsoleSink,
  type Driver,
  type GuestDiagnostics,
  type GuestNic,
  type GuestSpec,
  type HostCapacity,
  type LiveMigrationOptions,
  type SerialSession,
  UNCOUNTED_DISK,
  uncountedNic,
  type Vif,
} from "../driver.js";
import { uptimeLine } from "../fake/driver.js";
import { POWER_STATE_NAMES, PowerState } from "../power-state.js";
import { type Limits, pidsFor, ServerCgroups } from "./cgroups.js";
import { consoleNote, readConsole } from "./console.js";
import { run, shellQuote } from "./exec.js";
import { writeGuestConfig } from "./guest-config.js";
import { type InstanceRecord, loadRecord, RECORD_FILE, saveRecord } from "./instance-record.js";
import { CONTAINER_NAMESPACES, writeLauncher } from "./launcher.js";
import { DEFAULT_TOOLS, type NsTools } from "./probe.js";
import { type ImageFiles, LowerDirs } from "./rootfs.js";

export interface NsDriverOptions {
  /** The host's name (this machine's). */
  hostname: string;
  /** The driver's own directory: images/ (unpacked lower dirs), instances/ and the launcher. */
  dir: string;
  /** The deployment's prefix, carried by every cgroup this driver makes. */
  prefix: string;
  images: ImageFiles;
  tools?: NsTools;
  cgroupRoot?: string;
  /** How long a clean shutdown (SIGTERM to the init) may take before the server is killed (nova's shutdown_timeout). */
  shutdownTimeoutMs?: number;
  /** How long a launch may take to reach the guest's init. */
  bootTimeoutMs?: number;
}

const MiB = 1024 * 1024;

/** A guest's container did not come up; the message carries the end of its console. */
export class LaunchFailed extends Error {}

/**
 * Servers as Linux-namespace containers (DRIVERS.md §1, §2, §11.1): each is a pid, mount,
 * uts, ipc and net namespace whose PID 1 is the image's /sbin/init, on an overlay of the
 * image's unpacked root filesystem (read-only lower dir) and the server's own upper dir
 * (its disk), inside one group per cgroup hierarchy that holds the flavor's limits. The
 * host is read back for every answer: power from the groups (cgroup.events, the freezer),
 * the console from the log the container's pty is copied to. Containers outlive nimbus:
 * they are spawned detached, their console a pty of util-linux script with a FIFO as its
 * input and a file as its output, never a pipe to this process.
 */
export class NsDriver implements Driver {
  readonly name = "ns";
  readonly hostname: string;
  readonly #dir: string;
  readonly #prefix: string;
  readonly #tools: NsTools;
  readonly #cgroupRoot: string;
  readonly #lowerDirs: LowerDirs;
  readonly #shutdownTimeoutMs: number;
  readonly #bootTimeoutMs: number;
  readonly #records = new Map<string, InstanceRecord>();
  /** Ports plugged in before the server's record exists (nova plugs VIFs before spawn). */
  readonly #pendingVifs = new Map<string, Vif[]>();
  /** Serial console sessions attached, by server: ended when it is destroyed. */
  readonly #sessions = new Map<string, Set<{ end(): void }>>();
  #launcher: Promise<string> | undefined;

  constructor(options: NsDriverOptions) {
    this.hostname = options.hostname;
    this.#dir = options.dir;
    this.#prefix = options.prefix;
    this.#tools = options.tools ?? DEFAULT_TOOLS;
    this.#cgroupRoot = options.cgroupRoot ?? "/sys/fs/cgroup";
    this.#lowerDirs = new LowerDirs(path.join(this.#dir, "images"), options.images, this.#tools.tar);
    this.#shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
    this.#bootTimeoutMs = options.bootTimeoutMs ?? 15_000;
  }

  /** The instance dir of a server. */
  instanceDir(uuid: string): string {
    if (!/^[A-Za-z0-9-]+$/.test(uuid)) throw new Error(`ns driver: ${uuid} is not a server id`);
    return path.join(this.#dir, "instances", uuid);
  }

  /** What the driver recorded of a server (paths of its groups and dirs), read from its instance dir. */
  async record(uuid: string): Promise<InstanceRecord | undefined> {
    const known = this.#records.get(uuid);
    if (known) return known;
    const found = await loadRecord(this.instanceDir(uuid));
    if (found) this.#records.set(uuid, found);
    return found;
  }

  async #guest(uuid: string): Promise<InstanceRecord> {
    const record = await this.record(uuid);
    if (!record) throw new Error(`guest ${uuid} does not exist on ${this.hostname}`);
    return record;
  }

  #cgroups(record: InstanceRecord): ServerCgroups {
    return new ServerCgroups(record.cgroups);
  }

  #consoleFile(record: InstanceRecord): string {
    return path.join(record.dir, "console.log");
  }

  /** The FIFO the console's keystrokes go into. */
  #consoleInput(record: InstanceRecord): string {
    return path.join(record.dir, "console.in");
  }

  async spawn(spec: GuestSpec): Promise<void> {
    const dir = this.instanceDir(spec.uuid);
    if (await this.record(spec.uuid))
      throw new Error(`guest ${spec.uuid} exists on ${this.hostname} already`);
    const lowerDir = await this.#lowerDirs.get(spec.imageRef);
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    const cgroups = ServerCgroups.at(this.#cgroupRoot, this.#prefix, spec.uuid);
    const record: InstanceRecord = {
      uuid: spec.uuid,
      dir,
      cgroups: { ...cgroups.paths },
      spec,
      lowerDir,
      init: null,
      bootedAt: null,
      suspended: false,
      rescue: null,
      vifs: this.#pendingVifs.get(spec.uuid) ?? [],
    };
    this.#pendingVifs.delete(spec.uuid);
    // recorded before anything is made, so that a failed spawn is cleaned up by destroy
    await saveRecord(record);
    this.#records.set(spec.uuid, record);
    try {
      await this.#launch(record);
    } catch (error) {
      // a guest that never ran leaves nothing behind: its groups and dir go by their records
      await this.destroy(spec.uuid);
      throw error;
    }
  }

  /**
   * Starts the container: groups made and limited, the guest's config written into its
   * disk, then `busybox sh` joins the groups and execs unshare, so that every process of
   * the server is born inside them. Resolves once the guest's init runs in its own root.
   */
  async #launch(record: InstanceRecord): Promise<void> {
    const cgroups = this.#cgroups(record);
    if (await cgroups.populated()) throw new Error(`guest ${record.uuid} is running already`);
    await cgroups.create(limitsOf(record.spec));
    await cgroups.thaw();
    const rescue = record.rescue;
    const root = rescue
      ? { lower: rescue.lowerDir, dir: rescue.dir }
      : { lower: record.lowerDir, dir: record.dir };
    await writeGuestConfig(path.join(root.dir, "upper"), record.spec, { userData: rescue === null });
    this.#launcher ??= writeLauncher(this.#dir);
    const launcher = await this.#launcher;
    const { busybox, unshare } = this.#tools;
    const join = cgroups
      .procsFiles()
      .map((file) => `echo $$ > ${shellQuote(file)}`)
      .join(" && ");
    const command = [
      unshare,
      ...CONTAINER_NAMESPACES,
      busybox,
      "sh",
      launcher,
      root.lower,
      root.dir,
      record.spec.hostname,
      "/sbin/init",
    ];
    const env: Record<string, string> = {
      PATH: "/sbin:/bin:/usr/sbin:/usr/bin",
      TERM: "linux",
      SHELL: "/bin/sh",
    };
    if (rescue) Object.assign(env, { DISK_LOWER: record.lowerDir, DISK_DIR: record.dir });
    // the container's console is the pty of util-linux script: its output appended to the
    // console log, its input read from a FIFO held open read-write (never at end of file),
    // so that nothing of the console lives in this process
    const log = shellQuote(this.#consoleFile(record));
    const fifo = shellQuote(this.#consoleInput(record));
    const inner = `exec ${command.map(shellQuote).join(" ")}`;
    const onConsole = [
      `{ [ -p ${fifo} ] || mkfifo -m 600 ${fifo}; }`,
      // script copies the pty's output to its stdout: that is the log (its own log file, /dev/null, would get a header)
      `exec ${shellQuote(this.#tools.script)} -q -e -c ${shellQuote(inner)} /dev/null <> ${fifo} >> ${log} 2>&1`,
    ].join(" && ");
    const consoleFd = fs.openSync(this.#consoleFile(record), "a", 0o600);
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(busybox, ["sh", "-c", `${join} && ${onConsole}`], {
        detached: true,
        stdio: ["ignore", consoleFd, consoleFd],
        env,
      });
    } finally {
      fs.closeSync(consoleFd);
    }
    child.on("error", () => {});
    child.unref();
    const started = child.pid;
    if (started === undefined) throw new LaunchFailed(`guest ${record.uuid}: the launcher did not start`);
    const init = await this.#awaitInit(record, started);
    // an init is up once it handles SIGTERM (a pid-namespace init ignores signals it has no
    // handler for: a stop sent earlier would be lost); one that never does gets a moment
    if (
      !(await untilCatchesTerm(init.pid, INIT_SETTLE_MS)) &&
      (await startTicksOf(init.pid)) !== init.startTicks
    ) {
      // the launcher pivoted, then could not exec the image's init
      await this.#cgroups(record).kill();
      throw new LaunchFailed(`guest ${record.uuid} did not boot: ${await this.#consoleTail(record)}`);
    }
    record.init = init;
    record.bootedAt = Date.now();
    await saveRecord(record);
  }

  /**
   * The container's init, once it has pivoted into the guest's root: the process below
   * `outer` (script, then unshare, then the init) that is PID 1 of its own pid namespace,
   * with a root other than the host's (pivot_root moves unshare's root too: it shares the
   * container's mount namespace).
   */
  async #awaitInit(record: InstanceRecord, outer: number): Promise<{ pid: number; startTicks: number }> {
    const end = Date.now() + this.#bootTimeoutMs;
    const hostRoot = fs.statSync("/");
    for (;;) {
      for (const pid of await descendants(outer, 2)) {
        const status = await fsp.readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
        const nspid = /^NSpid:\s*(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/) ?? [];
        if (nspid.length < 2 || nspid.at(-1) !== "1") continue;
        const root = await fsp.stat(`/proc/${pid}/root`).catch(() => undefined);
        if (root && (root.dev !== hostRoot.dev || root.ino !== hostRoot.ino)) {
          const startTicks = await startTicksOf(pid);
          if (startTicks !== undefined) return { pid, startTicks };
        }
      }
      const gone = !(await this.#cgroups(record).populated()) && !fs.existsSync(`/proc/${outer}`);
      if (gone || Date.now() > end) {
        await this.#cgroups(record).kill();
        throw new LaunchFailed(
          `guest ${record.uuid} did not boot${gone ? "" : ` within ${this.#bootTimeoutMs} ms`}: ${await this.#consoleTail(record)}`,
        );
      }
      await sleep(2);
    }
  }

  /** The last lines of the console, for an error. */
  async #consoleTail(record: InstanceRecord): Promise<string> {
    const tail = (await readConsole(this.#consoleFile(record))).split("\n").slice(-6).join("\n").trim();
    return tail || "no console output";
  }

  /** Whether the recorded init still runs (same pid and start time: not a reused pid). */
  async #initAlive(record: InstanceRecord): Promise<boolean> {
    if (!record.init) return false;
    return (await startTicksOf(record.init.pid)) === record.init.startTicks;
  }

  /**
   * Stops the container: a clean shutdown (SIGTERM to its init, whose trap ends it) given
   * `shutdownTimeoutMs`, then cgroup.kill of whatever is left; `clean: false` kills at once.
   */
  async #stop(record: InstanceRecord, clean: boolean): Promise<void> {
    const cgroups = this.#cgroups(record);
    if (await cgroups.populated()) {
      await cgroups.thaw();
      let done = false;
      const catches = async (init: { pid: number }) =>
        (await this.#initAlive(record)) && (await untilCatchesTerm(init.pid, INIT_SETTLE_MS));
      if (clean && record.init && (await catches(record.init))) {
        try {
          process.kill(record.init.pid, "SIGTERM");
          done = await cgroups.waitEmpty(this.#shutdownTimeoutMs);
        } catch {
          // gone meanwhile
        }
      }
      if (!done) await cgroups.kill();
    }
    record.init = null;
    record.suspended = false;
    await saveRecord(record);
  }

  async destroy(uuid: string): Promise<void> {
    const record = await this.record(uuid);
    this.#pendingVifs.delete(uuid);
    if (!record) {
      // a spawn that failed before its record was written may have left an empty dir
      await fsp.rm(this.instanceDir(uuid), { recursive: true, force: true });
      return;
    }
    for (const session of this.#sessions.get(uuid) ?? []) session.end();
    this.#sessions.delete(uuid);
    const cgroups = this.#cgroups(record);
    await cgroups.kill();
    await cgroups.remove();
    // the deployment's parent groups go with their last server (rmdir fails while others remain)
    for (const parent of cgroups.parents()) await fsp.rmdir(parent).catch(() => undefined);
    await fsp.rm(record.dir, { recursive: true, force: true });
    this.#records.delete(uuid);
  }

  async reboot(uuid: string, hard: boolean): Promise<void> {
    const record = await this.#guest(uuid);
    await this.#stop(record, !hard);
    await this.#launch(record);
  }

  async powerOff(uuid: string): Promise<void> {
    await this.#stop(await this.#guest(uuid), true);
  }

  async powerOn(uuid: string): Promise<void> {
    const record = await this.#guest(uuid);
    if (await this.#cgroups(record).populated()) return;
    await this.#launch(record);
  }

  async pause(uuid: string): Promise<void> {
    await this.#cgroups(await this.#running(uuid)).freeze();
  }

  async unpause(uuid: string): Promise<void> {
    await this.#cgroups(await this.#guest(uuid)).thaw();
  }

  /**
   * Freezes the server with its memory kept in RAM: this host has no working checkpoint to
   * disk (CRIU), and the console says so. Its power state reads SUSPENDED until resumed.
   */
  async suspend(uuid: string): Promise<void> {
    const record = await this.#running(uuid);
    await this.#cgroups(record).freeze();
    record.suspended = true;
    await saveRecord(record);
    await consoleNote(
      this.#consoleFile(record),
      "suspended: frozen, memory kept in RAM (no checkpoint to disk)",
    );
  }

  async resume(uuid: string): Promise<void> {
    const record = await this.#guest(uuid);
    await this.#cgroups(record).thaw();
    record.suspended = false;
    await saveRecord(record);
    await consoleNote(this.#consoleFile(record), "resumed");
  }

  async #running(uuid: string): Promise<InstanceRecord> {
    const record = await this.#guest(uuid);
    if (!(await this.#cgroups(record).populated())) throw new Error(`guest ${uuid} is not running`);
    return record;
  }

  /** A new image as the disk's lower dir, the upper dir (the server's writes) wiped, booted again. */
  async rebuild(spec: GuestSpec): Promise<void> {
    const record = await this.record(spec.uuid);
    if (!record) return this.spawn(spec);
    const lowerDir = await this.#lowerDirs.get(spec.imageRef);
    await this.#stop(record, false);
    await fsp.rm(path.join(record.dir, "upper"), { recursive: true, force: true });
    await fsp.rm(path.join(record.dir, "work"), { recursive: true, force: true });
    record.spec = spec;
    record.lowerDir = lowerDir;
    await saveRecord(record);
    await this.#launch(record);
  }

  /** The flavor's new limits, written into the running server's groups (they apply at once). */
  async resize(spec: GuestSpec): Promise<void> {
    const record = await this.#guest(spec.uuid);
    await this.#cgroups(record).setLimits(limitsOf(spec));
    record.spec = spec;
    await saveRecord(record);
  }

  /**
   * A tar of the server's filesystem (what its init sees as /), less the contents of the
   * kernel's file systems: read through /proc/<init>/root while the server is frozen, or
   * from its disk mounted in a private mount namespace when it is off.
   */
  async snapshot(uuid: string): Promise<Buffer> {
    const record = await this.#guest(uuid);
    const excludes = [
      "--exclude=./proc/*",
      "--exclude=./sys/*",
      "--exclude=./dev/pts/*",
      "--exclude=./.oldroot/*",
    ];
    const tarArgs = ["--numeric-owner", "--one-file-system", ...excludes, "-cf", "-", "."];
    const cgroups = this.#cgroups(record);
    if (record.init && (await this.#initAlive(record))) {
      const wasFrozen = await cgroups.frozen();
      await cgroups.freeze();
      try {
        const root = `/proc/${record.init.pid}/root`;
        // --one-file-system would stop at the overlay's own mount from /proc: only the excludes apply
        const args = tarArgs.filter((a) => a !== "--one-file-system");
        return (await run(this.#tools.tar, ["-C", root, ...args], { maxBuffer: 4 * 1024 ** 3 })).stdoutBuffer;
      } finally {
        if (!wasFrozen) await cgroups.thaw();
      }
    }
    const merged = path.join(record.dir, "merged");
    await fsp.mkdir(merged, { recursive: true });
    const script =
      'mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/upper,workdir=$2/work" "$2/merged" && cd "$2/merged" && shift 2 && exec "$@"';
    await fsp.mkdir(path.join(record.dir, "upper"), { recursive: true });
    await fsp.mkdir(path.join(record.dir, "work"), { recursive: true });
    const args = ["--mount", "--propagation", "private", this.#tools.busybox, "sh", "-c", script, "sh"];
    args.push(record.lowerDir, record.dir, this.#tools.tar, ...tarArgs);
    return (await run(this.#tools.unshare, args, { maxBuffer: 4 * 1024 ** 3 })).stdoutBuffer;
  }

  /**
   * nova's rescue: the server is shut down, then boots the rescue image from a scratch disk
   * with its own disk mounted at /mnt/disk, root's password set to `adminPassword`.
   */
  async rescue(uuid: string, rescueImageRef: string, adminPassword: string): Promise<void> {
    const record = await this.#guest(uuid);
    const lowerDir = await this.#lowerDirs.get(rescueImageRef);
    await this.#stop(record, true);
    const dir = path.join(record.dir, "rescue");
    await fsp.rm(dir, { recursive: true, force: true });
    await fsp.mkdir(path.join(dir, "upper", "etc"), { recursive: true });
    const hash = (
      await run(this.#tools.busybox, ["mkpasswd", "-m", "sha512", "-P", "0"], { input: `${adminPassword}\n` })
    ).stdout.trim();
    const passwd = await fsp.readFile(path.join(lowerDir, "etc", "shadow"), "utf8").catch(() => "");
    const others = passwd.split("\n").filter((l) => l !== "" && !l.startsWith("root:"));
    await fsp.writeFile(
      path.join(dir, "upper", "etc", "shadow"),
      [`root:${hash}:20000:0:99999:7:::`, ...others, ""].join("\n"),
      {
        mode: 0o600,
      },
    );
    record.rescue = { imageRef: rescueImageRef, lowerDir, dir };
    await saveRecord(record);
    await consoleNote(
      this.#consoleFile(record),
      `rescue: booting image ${rescueImageRef}, the server's disk at /mnt/disk`,
    );
    await this.#launch(record);
  }

  async unrescue(uuid: string): Promise<void> {
    const record = await this.#guest(uuid);
    await this.#stop(record, false);
    if (record.rescue) await fsp.rm(record.rescue.dir, { recursive: true, force: true });
    record.rescue = null;
    await saveRecord(record);
    await consoleNote(this.#consoleFile(record), "rescue ended: booting from the server's own disk");
    await this.#launch(record);
  }

  /** nova's libvirt driver with virt_type lxc has no guest agent to set a password through, and says so. */
  async setAdminPassword(uuid: string, _password: string): Promise<void> {
    await this.#guest(uuid);
    throw new Error("Set admin password is not supported");
  }

  /** One ns host per nimbus, and no way to move a running container's memory to another: refused, the guest untouched. */
  async liveMigrate(uuid: string, destination: Driver, _options: LiveMigrationOptions): Promise<void> {
    await this.#guest(uuid);
    throw new Error(
      `ns driver: live migration is not supported (guest ${uuid} stays on ${this.hostname}, not copied to ${destination.hostname})`,
    );
  }

  /** No live migration ever runs from this host. */
  async liveMigrationForceComplete(_uuid: string): Promise<void> {}

  async consoleOutput(uuid: string): Promise<string> {
    return readConsole(this.#consoleFile(await this.#guest(uuid)));
  }

  /** A serial port: the container's pty. */
  readonly consoleProtocols: readonly ConsoleProtocol[] = ["serial"];

  /**
   * Attaches to the container's pty: what the console log holds so far, then what is
   * appended to it (read every CONSOLE_POLL_MS); keystrokes go into the console's FIFO.
   * The session ends when the server is destroyed.
   */
  openSerialConsole(uuid: string, sink: ConsoleSink): SerialSession {
    const dir = this.instanceDir(uuid);
    const log = path.join(dir, "console.log");
    if (!fs.existsSync(path.join(dir, RECORD_FILE))) {
      throw new Error(`guest ${uuid} does not exist on ${this.hostname}`);
    }
    let offset = 0;
    let ended = false;
    const readNew = () => {
      let fd: number;
      try {
        fd = fs.openSync(log, "r");
      } catch {
        return;
      }
      try {
        const size = fs.fstatSync(fd).size;
        if (size <= offset) return;
        const buffer = Buffer.alloc(size - offset);
        fs.readSync(fd, buffer, 0, buffer.length, offset);
        offset = size;
        sink.data(buffer.toString("utf8"));
      } finally {
        fs.closeSync(fd);
      }
    };
    readNew();
    const sessions = this.#sessions.get(uuid) ?? new Set();
    this.#sessions.set(uuid, sessions);
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(timer);
      sessions.delete(session);
    };
    const timer = setInterval(readNew, CONSOLE_POLL_MS);
    timer.unref();
    const session = {
      input: (text: string) => {
        if (ended) return;
        // the FIFO is held open read-write by the container's script: a non-blocking open cannot hang
        let fd: number;
        try {
          fd = fs.openSync(path.join(dir, "console.in"), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
        } catch {
          return;
        }
        try {
          fs.writeSync(fd, text);
        } catch {
          // the console is gone (the server is off): keystrokes are lost, as on an unplugged line
        } finally {
          fs.closeSync(fd);
        }
      },
      detach: end,
      end: () => {
        readNew();
        end();
        sink.end();
      },
    };
    sessions.add(session);
    return { input: session.input, detach: session.detach };
  }

  /** Read from the host: no record is NOSTATE, an empty group SHUTDOWN, a frozen one PAUSED (or SUSPENDED). */
  async powerState(uuid: string): Promise<PowerState> {
    const record = await this.record(uuid);
    if (!record) return PowerState.NOSTATE;
    const cgroups = this.#cgroups(record);
    if (!(await cgroups.populated())) return PowerState.SHUTDOWN;
    if (await cgroups.frozen()) return record.suspended ? PowerState.SUSPENDED : PowerState.PAUSED;
    return PowerState.RUNNING;
  }

  /**
   * The server's counters as its groups keep them, in libvirt's format: memory in use
   * (memory.usage_in_bytes) against the flavor's limit, CPU time from cpuacct.usage.
   * A group counts the whole server, not each vCPU: the time is shared evenly among the
   * vCPUs. No network or disk counters yet (null, nova's "missing values").
   */
  async diagnostics(uuid: string, nics: readonly GuestNic[]): Promise<GuestDiagnostics> {
    const record = await this.#guest(uuid);
    const power = await this.powerState(uuid);
    const counters = await this.#cgroups(record)
      .counters()
      .catch(() => undefined);
    const vcpus = record.spec.vcpus;
    return {
      state: POWER_STATE_NAMES[power] ?? "pending",
      driver: "libvirt",
      hypervisor: "lxc",
      hypervisor_os: os.platform(),
      uptime:
        power !== PowerState.SHUTDOWN && record.bootedAt !== null
          ? Math.floor((Date.now() - record.bootedAt) / 1000)
          : null,
      cpu_details: Array.from({ length: vcpus }, (_, id) => ({
        id,
        time: counters ? Math.floor(counters.cpuNs / vcpus) : null,
        utilisation: null,
      })),
      // neither host reads its guests' network or disk counters (nova's missing values)
      nic_details: nics.map((nic) => uncountedNic(nic.mac)),
      disk_details: [UNCOUNTED_DISK],
      memory_details: {
        maximum: record.spec.memoryMb,
        used: counters ? Math.round(counters.memoryBytes / MiB) : null,
      },
    };
  }

  /** Recorded only for now: the container has its own net namespace with only `lo` (networking is to come). */
  async plugVifs(uuid: string, vifs: readonly Vif[]): Promise<void> {
    const record = await this.record(uuid);
    const plugged = record ? record.vifs : (this.#pendingVifs.get(uuid) ?? []);
    for (const vif of vifs) {
      if (!plugged.some((p) => p.portId === vif.portId)) plugged.push({ ...vif });
    }
    if (record) await saveRecord(record);
    else this.#pendingVifs.set(uuid, plugged);
  }

  async unplugVifs(uuid: string, portIds: readonly string[]): Promise<void> {
    const record = await this.record(uuid);
    if (!record) {
      const pending = this.#pendingVifs.get(uuid)?.filter((v) => !portIds.includes(v.portId));
      if (pending) this.#pendingVifs.set(uuid, pending);
      return;
    }
    record.vifs = record.vifs.filter((v) => !portIds.includes(v.portId));
    await saveRecord(record);
  }

  /** The ports recorded as plugged into a server. */
  async vifs(uuid: string): Promise<Vif[]> {
    return [...((await this.record(uuid))?.vifs ?? this.#pendingVifs.get(uuid) ?? [])];
  }

  /** This machine: its CPUs, memory and the free disk of the driver's directory. */
  async capacity(): Promise<HostCapacity> {
    const disk = await fsp.statfs(this.#dir).catch(() => undefined);
    const cpuinfo = await fsp.readFile("/proc/cpuinfo", "utf8").catch(() => "");
    const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, "m").exec(cpuinfo)?.[1]?.trim();
    const [major = 0, minor = 0, patch = 0] = os
      .release()
      .split(/[.-]/)
      .slice(0, 3)
      .map((n) => Number.parseInt(n, 10) || 0);
    const vcpus = os.cpus().length;
    return {
      vcpus,
      memoryMb: Math.floor(os.totalmem() / MiB),
      localGb: disk ? Math.floor((disk.blocks * disk.bsize) / 1024 ** 3) : 0,
      hypervisorType: "lxc",
      hypervisorVersion: major * 1_000_000 + minor * 1000 + patch,
      cpuInfo: {
        arch: ARCH[os.arch()] ?? os.arch(),
        model: field("model name") ?? "unknown",
        vendor: field("vendor_id") ?? "unknown",
        topology: { cores: vcpus, threads: 1, sockets: 1 },
        features: [],
      },
      hostIp: primaryAddress(),
    };
  }

  async uptime(): Promise<string> {
    return uptimeLine(new Date(), os.uptime(), os.loadavg());
  }
}

/** A flavor's share of the host: its memory, a CPU quota of its vCPUs, and a pids limit. */
export function limitsOf(spec: GuestSpec): Limits {
  return { memoryMb: spec.memoryMb, vcpus: spec.vcpus, pids: pidsFor(spec.memoryMb) };
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks), undefined when the process is gone. */
async function startTicksOf(pid: number): Promise<number | undefined> {
  const stat = await fsp.readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  if (stat === undefined) return undefined;
  // fields after the command name (which may hold spaces and parentheses), from field 3 on
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (fields[0] === "Z" || fields[0] === "X") return undefined;
  const ticks = Number(fields[19]);
  return Number.isFinite(ticks) ? ticks : undefined;
}

/** How often an attached serial console reads what the guest wrote. */
const CONSOLE_POLL_MS = 50;

/** The processes below `pid`, breadth first, at most `depth` generations down. */
async function descendants(pid: number, depth: number): Promise<number[]> {
  const found: number[] = [];
  let generation = [pid];
  for (let level = 0; level < depth && generation.length > 0; level++) {
    const next: number[] = [];
    for (const parent of generation) {
      const children = await fsp.readFile(`/proc/${parent}/task/${parent}/children`, "utf8").catch(() => "");
      for (const child of children.trim().split(/\s+/)) if (child) next.push(Number(child));
    }
    found.push(...next);
    generation = next;
  }
  return found;
}

/** How long a freshly exec'd init is given to install its SIGTERM handler. */
const INIT_SETTLE_MS = 2000;

/** Whether `pid` handles SIGTERM (SigCgt of /proc/<pid>/status), waiting for it at most `timeoutMs`. */
async function untilCatchesTerm(pid: number, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const status = await fsp.readFile(`/proc/${pid}/status`, "utf8").catch(() => undefined);
    if (status === undefined) return false;
    const caught = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1];
    // SIGTERM is signal 15: bit 14 of the mask
    if (caught !== undefined && (BigInt(`0x${caught}`) >> 14n) & 1n) return true;
    if (Date.now() >= end) return false;
    await sleep(2);
  }
}

const ARCH: Record<string, string> = { x64: "x86_64", arm64: "aarch64", ia32: "i686" };

/** The machine's first external IPv4 address: what nova's my_ip defaults to. */
function primaryAddress(): string {
  for (const addresses of Object.values(os.networkInterfaces())) {
    const found = addresses?.find((a) => a.family === "IPv4" && !a.internal);
    if (found) return found.address;
  }
  return "127.0.0.1";
}
