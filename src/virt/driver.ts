import type { PowerState } from "../services/compute/vm-states.js";

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
 * A hypervisor on one host. Every call acts on the host and resolves when the host has
 * done it; the power state is read back from the host, never assumed. Guests outlive
 * the nimbus process: after a restart, `powerState` tells what is still there.
 */
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
  /** The console log, or its last `lines` lines. */
  consoleOutput(uuid: string, lines?: number): Promise<string>;
  /** NOSTATE when the host has no such guest. */
  powerState(uuid: string): Promise<PowerState>;
}
