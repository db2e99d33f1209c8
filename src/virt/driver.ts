import type { PowerState } from "./power-state.js";

/** What a driver needs to know to run a server. */
export interface GuestSpec {
  uuid: string;
  name: string;
  hostname: string;
  imageRef: string;
  vcpus: number;
  memoryMb: number;
  rootGb: number;
  userData: string | null;
  keyData: string | null;
  addresses: string[];
}

/**
 * What a host offers guests and what it is, as nova's compute node records it. Usage is
 * not here: it is counted from the servers the database places on the host.
 */
export interface HostCapacity {
  vcpus: number;
  memoryMb: number;
  localGb: number;
  /** nova's hypervisor_type ("fake", "QEMU" ...). */
  hypervisorType: string;
  /** nova's integer form of the version: major * 1,000,000 + minor * 1,000 + patch. */
  hypervisorVersion: number;
  /** The host CPU as libvirt describes it (arch, model, vendor, topology, features). */
  cpuInfo: Record<string, unknown>;
  /** The address the host is reached at (nova's my_ip). */
  hostIp: string;
}

/** A guest's network interface as the compute layer allocated it. */
export interface GuestNic {
  mac: string;
}

/** A port plugged into a guest on its host (nova's VIF): what a real driver wires up. */
export interface Vif {
  portId: string;
  mac: string;
  networkId: string;
}

/**
 * What a host can tell about one of its guests: nova's Diagnostics object field for field
 * (its 2.48 format), less config_drive, which is the server's and not the host's. Counters
 * the host cannot read are null.
 */
export interface GuestDiagnostics {
  /** A name of POWER_STATE_NAMES (power-state.ts). */
  state: string;
  /** Which of nova's drivers the format follows: nova admits only libvirt, ironic, vmwareapi and xenapi. */
  driver: "libvirt" | "ironic" | "vmwareapi" | "xenapi";
  hypervisor: string | null;
  hypervisor_os: string | null;
  /** Seconds since the guest booted. */
  uptime: number | null;
  cpu_details: Array<{ id: number | null; time: number | null; utilisation: number | null }>;
  nic_details: Array<{
    mac_address: string | null;
    rx_octets: number | null;
    rx_errors: number | null;
    rx_drop: number | null;
    rx_packets: number | null;
    rx_rate: number | null;
    tx_octets: number | null;
    tx_errors: number | null;
    tx_drop: number | null;
    tx_packets: number | null;
    tx_rate: number | null;
  }>;
  disk_details: Array<{
    read_bytes: number | null;
    read_requests: number | null;
    write_bytes: number | null;
    write_requests: number | null;
    errors_count: number | null;
  }>;
  /** In MiB. */
  memory_details: { maximum: number | null; used: number | null };
}

/** A guest NIC whose counters its host does not read: nova's missing values, all null. */
export function uncountedNic(mac: string): GuestDiagnostics["nic_details"][number] {
  return {
    mac_address: mac,
    rx_octets: null,
    rx_errors: null,
    rx_drop: null,
    rx_packets: null,
    rx_rate: null,
    tx_octets: null,
    tx_errors: null,
    tx_drop: null,
    tx_packets: null,
    tx_rate: null,
  };
}

/** A guest's one disk, whose counters its host does not read. */
export const UNCOUNTED_DISK: GuestDiagnostics["disk_details"][number] = {
  read_bytes: null,
  read_requests: null,
  write_bytes: null,
  write_requests: null,
  errors_count: null,
};

/** How far a live migration's copy has come, in bytes (nova's migration memory_* and disk_* fields). */
export interface LiveMigrationProgress {
  memoryTotalBytes: number;
  memoryProcessedBytes: number;
  memoryRemainingBytes: number;
  diskTotalBytes: number;
  diskProcessedBytes: number;
  diskRemainingBytes: number;
}

/** How a live migration's copy runs and reports. */
export interface LiveMigrationOptions {
  /** The disk is copied too (nova's block migration); otherwise both hosts share its storage. */
  blockMigration: boolean;
  /** Told as the copy advances; awaited, so a slow listener slows the copy instead of piling up reports. */
  onProgress?(progress: LiveMigrationProgress): Promise<void> | void;
  /** Aborting it stops the copy (nova's live_migration_abort): the guest runs on here, the destination keeps nothing. */
  signal?: AbortSignal;
}

/**
 * A hypervisor on one host. Every call acts on the host and resolves when the host has
 * done it; the power state is read back from the host, never assumed. Guests outlive
 * the nimbus process: after a restart, `powerState` tells what is still there.
 */
/** nova's remote console protocols (rdp went with the Hyper-V driver). */
export type ConsoleProtocol = "vnc" | "spice" | "serial" | "mks";

/** The receiving end of a serial console stream. */
export interface ConsoleSink {
  data(text: string): void;
  end(): void;
}

/** One attachment to a guest's serial console: what is typed goes in, detach lets go. */
export interface SerialSession {
  input(text: string): void;
  detach(): void;
}

export interface Driver {
  readonly name: string;
  /** The host this driver runs guests on (nova's `host` and hypervisor node name). */
  readonly hostname: string;
  spawn(guest: GuestSpec): Promise<void>;
  destroy(uuid: string): Promise<void>;
  reboot(uuid: string, hard: boolean): Promise<void>;
  powerOff(uuid: string): Promise<void>;
  powerOn(uuid: string): Promise<void>;
  pause(uuid: string): Promise<void>;
  unpause(uuid: string): Promise<void>;
  suspend(uuid: string): Promise<void>;
  resume(uuid: string): Promise<void>;
  /** Re-creates the guest from a new image, keeping its identity. */
  rebuild(guest: GuestSpec): Promise<void>;
  /** Gives the guest a new size (memory and vCPUs), as a resize's migration step. */
  resize(guest: GuestSpec): Promise<void>;
  /** The guest's root disk contents as an image. */
  snapshot(uuid: string): Promise<Buffer>;
  /**
   * Boots the guest from `rescueImageRef` with its own disk attached, `adminPassword`
   * set for the rescue system; the guest's power state is read back afterwards.
   */
  rescue(uuid: string, rescueImageRef: string, adminPassword: string): Promise<void>;
  /** Boots the guest from its own disk again after a rescue. */
  unrescue(uuid: string): Promise<void>;
  /** Sets the root/administrator password inside the running guest (a guest agent's work). */
  setAdminPassword(uuid: string, password: string): Promise<void>;
  /**
   * Copies the guest, running or paused, to `destination` while it runs (nova's
   * live_migration): resolves once it runs there as it ran here. The guest on this host
   * stays until it is destroyed (nova's cleanup after post_live_migration), so that the
   * caller decides, durably, which host the server is on. Rejects when aborted or failed,
   * the guest still here and nothing left on the destination. One call rather than nova's
   * prepare / migrate / post split: ports, claims and cleanup are the compute task's work,
   * done with the other operations; only the copy needs both hosts at once.
   */
  liveMigrate(uuid: string, destination: Driver, options: LiveMigrationOptions): Promise<void>;
  /**
   * Makes a live migration from this host converge now (nova's live_migration_force_complete:
   * the guest is paused while the rest is copied); nothing when none runs.
   */
  liveMigrationForceComplete(uuid: string): Promise<void>;
  /** The whole console log. */
  consoleOutput(uuid: string): Promise<string>;
  /**
   * The remote console protocols this host offers its guests (nova's vnc, spice, serial,
   * mks); asked for another, nova answers ConsoleTypeUnavailable.
   */
  readonly consoleProtocols: readonly ConsoleProtocol[];
  /**
   * Attaches to the guest's serial console: `sink.data` gets what it has written so far,
   * then each new write; `sink.end` when the guest goes. Keystrokes go to the guest.
   */
  openSerialConsole(uuid: string, sink: ConsoleSink): SerialSession;
  /** NOSTATE when the host has no such guest. */
  powerState(uuid: string): Promise<PowerState>;
  /** What the host can tell about a guest (nova's get_instance_diagnostics); `nics` are its ports. */
  diagnostics(uuid: string, nics: readonly GuestNic[]): Promise<GuestDiagnostics>;
  /**
   * Plugs a server's ports in on this host (nova's plug_vifs), before or after its spawn;
   * a port plugged again is a no-op.
   */
  plugVifs(uuid: string, vifs: readonly Vif[]): Promise<void>;
  /** Unplugs ports of a server on this host (nova's unplug_vifs); an unknown one is a no-op. */
  unplugVifs(uuid: string, portIds: readonly string[]): Promise<void>;
  /** The host's resources, read when the host registers. */
  capacity(): Promise<HostCapacity>;
  /** The host's `uptime` line (clock, time up, load average), or null when the driver cannot tell. */
  uptime(): Promise<string | null>;
}
