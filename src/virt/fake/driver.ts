import { setTimeout as sleep } from "node:timers/promises";
import { PowerState } from "../../services/compute/vm-states.js";
import type { Driver, GuestSpec } from "../driver.js";

interface FakeGuest {
  spec: GuestSpec;
  power: PowerState;
  console: string[];
}

export interface FakeDriverOptions {
  hostname: string;
  /** Delay of every host operation, in ms (0 = immediate). */
  stepMs: number;
}

/**
 * A simulated hypervisor: guests are records in memory, every operation takes
 * `stepMs`, and a guest writes a console log as a real one would. Guests whose spec
 * carries `nimbus-fake-fail` in their name fail to spawn, to exercise the error paths.
 */
export class FakeDriver implements Driver {
  readonly name = "fake";
  readonly hostname: string;
  readonly #stepMs: number;
  readonly #guests = new Map<string, FakeGuest>();

  constructor(options: FakeDriverOptions) {
    this.hostname = options.hostname;
    this.#stepMs = options.stepMs;
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
    guest.console.push(`[${(guest.console.length * 0.137).toFixed(6).padStart(12)}] ${line}`);
  }

  #boot(guest: FakeGuest): void {
    const { spec } = guest;
    this.#log(guest, `Linux version 6.1.0-nimbus (fake) #1 SMP booting ${spec.name}`);
    this.#log(guest, `Memory: ${spec.memoryMb * 1024}K available, ${spec.vcpus} CPUs`);
    for (const address of spec.addresses) this.#log(guest, `eth0: leased ${address}`);
    this.#log(guest, `cloud-init: hostname set to ${spec.hostname}`);
    this.#log(guest, `${spec.hostname} login:`);
    guest.power = PowerState.RUNNING;
  }

  async spawn(spec: GuestSpec): Promise<void> {
    await this.#step();
    if (spec.name.includes("nimbus-fake-fail"))
      throw new Error("fake driver: spawn failed as requested by the server name");
    const guest: FakeGuest = { spec, power: PowerState.NOSTATE, console: [] };
    this.#guests.set(spec.uuid, guest);
    this.#boot(guest);
  }

  async destroy(uuid: string): Promise<void> {
    await this.#step();
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
    const guest: FakeGuest = { spec, power: PowerState.NOSTATE, console: [] };
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

  async consoleOutput(uuid: string, lines?: number): Promise<string> {
    const guest = this.#guest(uuid);
    const all = guest.console;
    const chosen = lines === undefined ? all : lines <= 0 ? [] : all.slice(-lines);
    return chosen.map((l) => `${l}\n`).join("");
  }

  async powerState(uuid: string): Promise<PowerState> {
    return this.#guests.get(uuid)?.power ?? PowerState.NOSTATE;
  }

  /**
   * Fake guests live in this process's memory; after a restart the agent hands back
   * the guests the database places on this host, standing in for guests that survived.
   */
  adopt(spec: GuestSpec, power: PowerState): void {
    const guest: FakeGuest = { spec, power: PowerState.NOSTATE, console: [] };
    this.#guests.set(spec.uuid, guest);
    if (power !== PowerState.NOSTATE) this.#boot(guest);
    guest.power = power;
  }
}
