import os from "node:os";
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
import { POWER_STATE_NAMES, PowerState } from "../power-state.js";

interface FakeGuest {
  spec: GuestSpec;
  power: PowerState;
  console: string[];
  /** Attached serial consoles, fed each line the guest logs. */
  sinks: Set<ConsoleSink>;
  /** Keystrokes typed on the console since its last newline. */
  typed?: string;
  /** When it last booted (ms since the epoch). */
  bootedAt?: number;
}

/** A live migration leaving this host: force_complete settles it. */
interface OutgoingMigration {
  forced: boolean;
  force: () => void;
}

/** How many rounds a fake live migration's copy takes, each one step long. */
export const LIVE_MIGRATION_ROUNDS = 10;

const MiB = 1024 * 1024;

export interface FakeDriverOptions {
  hostname: string;
  /** Delay of every host operation, in ms (0 = immediate). */
  stepMs: number;
  /** The simulated host's size; by default a mid-sized compute node. */
  capacity?: Partial<Pick<HostCapacity, "vcpus" | "memoryMb" | "localGb" | "hostIp">>;
}

/** The simulated host's size when none is given: 64 vCPUs, 256 GiB of memory, 2 TiB of disk. */
export const FAKE_CAPACITY = { vcpus: 64, memoryMb: 262_144, localGb: 2048 } as const;

/** The machine's first external IPv4 address: what nova's my_ip defaults to. */
function primaryAddress(): string {
  for (const addresses of Object.values(os.networkInterfaces())) {
    const found = addresses?.find((a) => a.family === "IPv4" && !a.internal);
    if (found) return found.address;
  }
  return "127.0.0.1";
}

/** Node's names for CPU architectures, as libvirt (and nova) spell them. */
const ARCH: Record<string, string> = { x64: "x86_64", arm64: "aarch64", ia32: "i686" };

/** `uptime`'s line: " 08:32:11 up 93 days, 18:25,  load average: 0.20, 0.12, 0.14" (no user count). */
export function uptimeLine(now: Date, upSeconds: number, load: number[]): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const clock = `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
  const days = Math.floor(upSeconds / 86_400);
  const hours = Math.floor((upSeconds % 86_400) / 3600);
  const minutes = Math.floor((upSeconds % 3600) / 60);
  let up = days > 0 ? `${days} day${days === 1 ? "" : "s"}, ` : "";
  up += hours > 0 ? `${String(hours).padStart(2)}:${pad(minutes)}` : `${minutes} min`;
  const average = load.map((l) => l.toFixed(2)).join(", ");
  return ` ${clock} up ${up},  load average: ${average}`;
}

/**
 * Whether a guest of this name fails to spawn on `host`: every host for `nimbus-fake-fail`,
 * only the one named for a word `nimbus-fake-fail-on-<host>` (words split at spaces).
 */
function spawnFailsOn(name: string, host: string): boolean {
  const ON = "nimbus-fake-fail-on-";
  const hosts = name.split(/\s+/).filter((word) => word.startsWith(ON));
  if (hosts.length > 0) return hosts.some((word) => word.slice(ON.length) === host);
  return name.includes("nimbus-fake-fail");
}

/**
 * A simulated hypervisor: guests are records in memory, every operation takes
 * `stepMs`, and a guest writes a console log as a real one would. Guests whose spec
 * carries `nimbus-fake-fail` in their name fail to spawn (with the word
 * `nimbus-fake-fail-on-<host>` in it, only on that host), and those with
 * `nimbus-fake-migration-fail` fail their live migrations half-way, to exercise the error paths.
 */
export class FakeDriver implements Driver {
  readonly name = "fake";
  readonly hostname: string;
  readonly #stepMs: number;
  readonly #guests = new Map<string, FakeGuest>();
  /** The ports plugged in on this host, by server: kept apart from the guests, as a host's bridge ports are. */
  readonly #vifs = new Map<string, Map<string, Vif>>();
  readonly #capacity: HostCapacity;
  readonly #outgoing = new Map<string, OutgoingMigration>();

  constructor(options: FakeDriverOptions) {
    this.hostname = options.hostname;
    this.#stepMs = options.stepMs;
    const size = { ...FAKE_CAPACITY, ...options.capacity };
    this.#capacity = {
      vcpus: size.vcpus,
      memoryMb: size.memoryMb,
      localGb: size.localGb,
      hypervisorType: "fake",
      hypervisorVersion: 1000,
      cpuInfo: {
        arch: ARCH[os.arch()] ?? os.arch(),
        model: "fake",
        vendor: "nimbus",
        topology: { cores: size.vcpus, threads: 1, sockets: 1 },
        features: [],
      },
      hostIp: options.capacity?.hostIp ?? primaryAddress(),
    };
  }

  async #step(): Promise<void> {
    if (this.#stepMs > 0) await sleep(this.#stepMs);
  }

  #guest(uuid: string): FakeGuest {
    const guest = this.#guests.get(uuid);
    if (!guest) throw new Error(`guest ${uuid} does not exist on ${this.hostname}`);
    return guest;
  }

  #log(guest: FakeGuest, line: string): void {
    const entry = `[${(guest.console.length * 0.137).toFixed(6).padStart(12)}] ${line}`;
    guest.console.push(entry);
    for (const sink of guest.sinks) sink.data(`${entry}\n`);
  }

  #boot(guest: FakeGuest): void {
    const { spec } = guest;
    this.#log(guest, `Linux version 6.1.0-nimbus (fake) #1 SMP booting ${spec.name}`);
    this.#log(guest, `Memory: ${spec.memoryMb * 1024}K available, ${spec.vcpus} CPUs`);
    for (const address of spec.addresses) this.#log(guest, `eth0: leased ${address}`);
    this.#log(guest, `cloud-init: hostname set to ${spec.hostname}`);
    this.#log(guest, `${spec.hostname} login:`);
    guest.power = PowerState.RUNNING;
    guest.bootedAt = Date.now();
  }

  async spawn(spec: GuestSpec): Promise<void> {
    await this.#step();
    if (spawnFailsOn(spec.name, this.hostname))
      throw new Error("fake driver: spawn failed as requested by the server name");
    const guest: FakeGuest = { spec, power: PowerState.NOSTATE, console: [], sinks: new Set() };
    this.#guests.set(spec.uuid, guest);
    this.#boot(guest);
  }

  async plugVifs(uuid: string, vifs: readonly Vif[]): Promise<void> {
    const plugged = this.#vifs.get(uuid) ?? new Map<string, Vif>();
    for (const vif of vifs) plugged.set(vif.portId, { ...vif });
    this.#vifs.set(uuid, plugged);
  }

  async unplugVifs(uuid: string, portIds: readonly string[]): Promise<void> {
    const plugged = this.#vifs.get(uuid);
    if (!plugged) return;
    for (const id of portIds) plugged.delete(id);
    if (plugged.size === 0) this.#vifs.delete(uuid);
  }

  /** The ports plugged in on this host, by server. */
  vifs(): Map<string, Vif[]> {
    return new Map([...this.#vifs].map(([uuid, plugged]) => [uuid, [...plugged.values()]]));
  }

  async destroy(uuid: string): Promise<void> {
    await this.#step();
    for (const sink of this.#guests.get(uuid)?.sinks ?? []) sink.end();
    this.#guests.delete(uuid);
  }

  async reboot(uuid: string, hard: boolean): Promise<void> {
    const guest = this.#guest(uuid);
    await this.#step();
    this.#log(guest, hard ? "Hard reset" : "Reboot requested by ACPI");
    this.#boot(guest);
  }

  async #setPower(uuid: string, power: PowerState, line: string): Promise<void> {
    const guest = this.#guest(uuid);
    await this.#step();
    guest.power = power;
    this.#log(guest, line);
  }

  powerOff(uuid: string): Promise<void> {
    return this.#setPower(uuid, PowerState.SHUTDOWN, "reboot: Power down");
  }

  async powerOn(uuid: string): Promise<void> {
    const guest = this.#guest(uuid);
    await this.#step();
    this.#boot(guest);
  }

  pause(uuid: string): Promise<void> {
    return this.#setPower(uuid, PowerState.PAUSED, "paused");
  }

  unpause(uuid: string): Promise<void> {
    return this.#setPower(uuid, PowerState.RUNNING, "unpaused");
  }

  suspend(uuid: string): Promise<void> {
    return this.#setPower(uuid, PowerState.SUSPENDED, "PM: suspend entry (deep)");
  }

  resume(uuid: string): Promise<void> {
    return this.#setPower(uuid, PowerState.RUNNING, "PM: suspend exit");
  }

  async rebuild(spec: GuestSpec): Promise<void> {
    await this.#step();
    const guest: FakeGuest = { spec, power: PowerState.NOSTATE, console: [], sinks: new Set() };
    this.#guests.set(spec.uuid, guest);
    this.#boot(guest);
  }

  async resize(spec: GuestSpec): Promise<void> {
    const guest = this.#guest(spec.uuid);
    await this.#step();
    guest.spec = spec;
    this.#log(guest, `resized to ${spec.vcpus} CPUs, ${spec.memoryMb} MB`);
  }

  async snapshot(uuid: string): Promise<Buffer> {
    const guest = this.#guest(uuid);
    await this.#step();
    return Buffer.from(`nimbus fake disk snapshot of ${uuid} (image ${guest.spec.imageRef})\n`);
  }

  async rescue(uuid: string, rescueImageRef: string, _adminPassword: string): Promise<void> {
    const guest = this.#guest(uuid);
    await this.#step();
    this.#log(guest, `Booting rescue image ${rescueImageRef}; the guest's disk is attached as a second disk`);
    this.#boot(guest);
  }

  async unrescue(uuid: string): Promise<void> {
    const guest = this.#guest(uuid);
    await this.#step();
    this.#log(guest, "Rescue ended; booting from the guest's own disk");
    this.#boot(guest);
  }

  /** Like a guest agent, this needs a running guest; the password itself is not logged. */
  async setAdminPassword(uuid: string, _password: string): Promise<void> {
    const guest = this.#guest(uuid);
    await this.#step();
    if (guest.power !== PowerState.RUNNING) throw new Error(`guest ${uuid} is not running`);
    this.#log(guest, "guest agent: administrator password changed");
  }

  /**
   * The copy takes LIVE_MIGRATION_ROUNDS steps, each copying a share of the guest's memory
   * (and of its root disk in a block migration) and reporting it. Meanwhile the destination
   * holds a paused incoming guest, as libvirt's does; at the switch-over it takes the
   * guest's power and console. Only between fake hosts.
   */
  async liveMigrate(uuid: string, destination: Driver, options: LiveMigrationOptions): Promise<void> {
    const guest = this.#guest(uuid);
    if (!(destination instanceof FakeDriver) || destination === this) {
      throw new Error(`fake driver: cannot live migrate from ${this.hostname} to ${destination.hostname}`);
    }
    const { signal } = options;
    signal?.throwIfAborted();
    let force = () => {};
    const forced = new Promise<void>((resolve) => {
      force = resolve;
    });
    const job: OutgoingMigration = {
      forced: false,
      force: () => {
        job.forced = true;
        force();
      },
    };
    this.#outgoing.set(uuid, job);
    const incoming: FakeGuest = {
      spec: guest.spec,
      power: PowerState.PAUSED,
      console: [...guest.console],
      sinks: new Set(),
      bootedAt: guest.bootedAt,
    };
    destination.#guests.set(uuid, incoming);
    const memory = guest.spec.memoryMb * MiB;
    const disk = options.blockMigration ? guest.spec.rootGb * 1024 * MiB : 0;
    try {
      for (let round = 1; round <= LIVE_MIGRATION_ROUNDS; round++) {
        if (!job.forced && this.#stepMs > 0) {
          await Promise.race([sleep(this.#stepMs, undefined, { signal }), forced]);
        }
        signal?.throwIfAborted();
        const share = job.forced ? 1 : round / LIVE_MIGRATION_ROUNDS;
        if (share >= 0.5 && guest.spec.name.includes("nimbus-fake-migration-fail")) {
          throw new Error("fake driver: live migration failed as requested by the server name");
        }
        const copied = { memory: Math.floor(memory * share), disk: Math.floor(disk * share) };
        await options.onProgress?.({
          memoryTotalBytes: memory,
          memoryProcessedBytes: copied.memory,
          memoryRemainingBytes: memory - copied.memory,
          diskTotalBytes: disk,
          diskProcessedBytes: copied.disk,
          diskRemainingBytes: disk - copied.disk,
        });
        if (share === 1) break;
      }
      signal?.throwIfAborted();
    } catch (error) {
      if (destination.#guests.get(uuid) === incoming) destination.#guests.delete(uuid);
      // an abort rejects with the signal's reason, whichever await it interrupted
      throw signal?.aborted ? signal.reason : error;
    } finally {
      this.#outgoing.delete(uuid);
    }
    incoming.power = guest.power;
    destination.#log(
      incoming,
      `live migration from ${this.hostname} completed${job.forced ? " (forced)" : ""}`,
    );
  }

  async liveMigrationForceComplete(uuid: string): Promise<void> {
    const job = this.#outgoing.get(uuid);
    if (!job) return;
    const guest = this.#guests.get(uuid);
    if (guest) this.#log(guest, "paused for the live migration's last copy");
    job.force();
  }

  /** A serial port only: the fake guest's console is its boot log, there is no display. */
  readonly consoleProtocols: readonly ConsoleProtocol[] = ["serial"];

  /**
   * The fake guest's getty answers what is typed at its login prompt: each line comes back
   * (the terminal's echo), refused as a real getty refuses an unknown user, and the prompt
   * again. A guest that is not running takes no keystrokes.
   */
  openSerialConsole(uuid: string, sink: ConsoleSink): SerialSession {
    const guest = this.#guest(uuid);
    sink.data(guest.console.map((l) => `${l}\n`).join(""));
    guest.sinks.add(sink);
    return {
      input: (text) => {
        if (guest.power !== PowerState.RUNNING) return;
        const lines = `${guest.typed ?? ""}${text}`.split(/\r\n|\r|\n/);
        guest.typed = lines.pop();
        for (const line of lines) {
          this.#log(guest, line);
          this.#log(guest, "Login incorrect");
          this.#log(guest, `${guest.spec.hostname} login:`);
        }
      },
      detach: () => guest.sinks.delete(sink),
    };
  }

  async consoleOutput(uuid: string): Promise<string> {
    return this.#guest(uuid)
      .console.map((l) => `${l}\n`)
      .join("");
  }

  async powerState(uuid: string): Promise<PowerState> {
    return this.#guests.get(uuid)?.power ?? PowerState.NOSTATE;
  }

  /**
   * What the simulated host knows of a guest: its power, how long since it booted, its
   * size, its ports and its one disk. A simulated guest's CPU and I/O counters are not
   * kept, so they are null (nova's "missing values"). nova's fake driver also answers in
   * libvirt's format, the hypervisor being this host's type.
   */
  async diagnostics(uuid: string, nics: readonly GuestNic[]): Promise<GuestDiagnostics> {
    const guest = this.#guest(uuid);
    const booted = guest.bootedAt;
    return {
      state: POWER_STATE_NAMES[guest.power] ?? "pending",
      driver: "libvirt",
      hypervisor: this.#capacity.hypervisorType,
      hypervisor_os: os.platform(),
      uptime: booted === undefined ? null : Math.floor((Date.now() - booted) / 1000),
      cpu_details: Array.from({ length: guest.spec.vcpus }, (_, id) => ({
        id,
        time: null,
        utilisation: null,
      })),
      // neither host reads its guests' network or disk counters (nova's missing values)
      nic_details: nics.map((nic) => uncountedNic(nic.mac)),
      disk_details: [UNCOUNTED_DISK],
      memory_details: { maximum: guest.spec.memoryMb, used: null },
    };
  }

  async capacity(): Promise<HostCapacity> {
    return structuredClone(this.#capacity);
  }

  /** The simulated host runs on this machine: its uptime and load are the machine's. */
  async uptime(): Promise<string> {
    return uptimeLine(new Date(), os.uptime(), os.loadavg());
  }

  /**
   * Fake guests live in this process's memory; after a restart the agent hands back
   * the guests the database places on this host, standing in for guests that survived.
   */
  adopt(spec: GuestSpec, power: PowerState): void {
    const guest: FakeGuest = { spec, power: PowerState.NOSTATE, console: [], sinks: new Set() };
    this.#guests.set(spec.uuid, guest);
    if (power !== PowerState.NOSTATE) this.#boot(guest);
    guest.power = power;
  }
}
