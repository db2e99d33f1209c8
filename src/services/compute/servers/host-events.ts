import type { Instance } from "../../../store/instance-record.js";
import type { Driver, GuestDiagnostics } from "../../../virt/driver.js";
import { POWER_STATE_NAMES, PowerState } from "../../../virt/power-state.js";
import type { AuthContext } from "../../context.js";
import { Conflict } from "../../errors.js";
import { VmState } from "../vm-states.js";
import type { ServerOperations } from "./operations.js";

/**
 * The power-update event's tags (2.76): the action nova records, the settled state
 * (vm_state, power_state) the server must be in for it to apply, and where it goes.
 */
const POWER_UPDATES = new Map<
  string,
  {
    action: string;
    from: [string, number];
    taskState: string;
    run: (driver: Driver, uuid: string) => Promise<void>;
    vmState: string;
  }
>([
  [
    "POWER_ON",
    {
      action: "start",
      from: [VmState.STOPPED, PowerState.SHUTDOWN],
      taskState: "powering-on",
      run: (driver, uuid) => driver.powerOn(uuid),
      vmState: VmState.ACTIVE,
    },
  ],
  [
    "POWER_OFF",
    {
      action: "stop",
      from: [VmState.ACTIVE, PowerState.RUNNING],
      taskState: "powering-off",
      run: (driver, uuid) => driver.powerOff(uuid),
      vmState: VmState.STOPPED,
    },
  ],
]);

/** What compute hosts report and other services tell about servers: diagnostics, external events, recovery after a crash. */
export class HostEvents {
  constructor(private readonly ops: ServerOperations) {}

  /**
   * What the server's host can tell about it (nova's get_instance_diagnostics): it must be
   * placed on a host (else 409 not ready) and running there (else nova's 409, naming the
   * power state last recorded).
   */
  async diagnostics(ctx: AuthContext, uuid: string): Promise<GuestDiagnostics & { config_drive: boolean }> {
    const instance = await this.ops.get(ctx, uuid);
    const driver = instance.host ? this.ops.drivers.get(instance.host) : undefined;
    if (!driver) throw new Conflict(`Instance ${uuid} is not ready`);
    if ((await driver.powerState(uuid)) !== PowerState.RUNNING) {
      const state = POWER_STATE_NAMES[instance.powerState] ?? String(instance.powerState);
      throw new Conflict(`Cannot 'get_diagnostics' instance ${uuid} while it is in power state ${state}`);
    }
    // one NIC per port, however many addresses it holds
    const fixed = instance.addresses.filter((a) => a.type === "fixed");
    const nics = fixed.filter((a, i, all) => all.findIndex((b) => b.portId === a.portId) === i);
    const found = await driver.diagnostics(uuid, nics);
    return { ...found, config_drive: instance.configDrive !== "" };
  }

  /**
   * An event another service sends about a server on a host (os-server-external-events):
   * `power-update` (2.76) is the host reporting the server powered on or off; nova records
   * it as a start or stop and, when the server sat in the opposite state, takes it there
   * (an unknown power state is skipped). `volume-extended` is recorded as extend_volume,
   * which ends there: nimbus attaches no volumes. The network and other events have no
   * waiter in nimbus.
   */
  async externalEvent(ctx: AuthContext, uuid: string, name: string, tag: string | undefined) {
    // as it is now: an earlier event of the same request may have changed it
    const instance = await this.ops.instances.get(uuid);
    if (!instance || instance.deleted) return;
    if (name === "volume-extended") {
      await this.#hostEvent(ctx, instance, "extend_volume", "compute_extend_volume", async () => undefined);
      return;
    }
    const update = name === "power-update" && tag !== undefined ? POWER_UPDATES.get(tag) : undefined;
    if (!update) return;
    await this.#hostEvent(ctx, instance, update.action, "compute_power_update", async (driver) => {
      // a no-op unless the server is settled in the state opposite to the one reported
      const [vmState, powerState] = update.from;
      if (instance.taskState !== null || instance.vmState !== vmState || instance.powerState !== powerState)
        return;
      const claimed = await this.ops.instances.update(
        this.ops.db,
        uuid,
        { task_state: update.taskState },
        { taskState: null, notDeleted: true },
      );
      // another action took the server meanwhile: nova lets that one win
      if (!claimed) return;
      await update.run(driver, uuid);
      await this.ops.instances.update(this.ops.db, uuid, {
        vm_state: update.vmState,
        power_state: await driver.powerState(uuid),
        task_state: null,
      });
    });
  }

  /**
   * An action the compute host handles for a request the API has already answered (nova's
   * RPC cast): recorded with its one event; a failure clears the task_state, becomes the
   * server's fault and fails the action, as nova's compute decorators do.
   */
  async #hostEvent(
    ctx: AuthContext,
    instance: Instance,
    action: string,
    event: string,
    work: (driver: Driver) => Promise<void>,
  ): Promise<void> {
    const actionId = await this.ops.actions.start(this.ops.db, {
      instanceUuid: instance.uuid,
      action,
      requestId: ctx.requestId,
      projectId: instance.projectId,
      userId: ctx.userId,
    });
    const eventId = await this.ops.actions.startEvent(actionId, event, instance.host ?? "");
    try {
      const driver = instance.host ? this.ops.drivers.get(instance.host) : undefined;
      if (!driver) throw new Error(`host ${instance.host} of instance ${instance.uuid} is not available`);
      await work(driver);
      await this.ops.actions.finishEvent(eventId, "Success");
      await this.ops.actions.finish(actionId, null);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const traceback = error instanceof Error ? (error.stack ?? message) : message;
      await this.ops.instances.update(this.ops.db, instance.uuid, { task_state: null }, { notDeleted: true });
      await this.ops.instances.setFault(this.ops.db, instance.uuid, 500, message, traceback);
      await this.ops.actions.finishEvent(eventId, "Error", { message, traceback });
      await this.ops.actions.finish(actionId, "Error");
    }
  }

  /**
   * After the task engine has taken back the work of a dead process, any server still
   * marked mid-operation has no task left to finish it: a build ends in ERROR with a
   * fault, anything else returns to its vm_state with the task_state cleared.
   */
  async endOrphanedOperations(): Promise<number> {
    const rows = await this.ops.instances.orphaned();
    for (const row of rows) {
      if (row.vm_state === VmState.BUILDING) {
        await this.ops.instances.update(this.ops.db, row.uuid, { vm_state: VmState.ERROR, task_state: null });
        await this.ops.instances.setFault(
          this.ops.db,
          row.uuid,
          500,
          "Build of instance was interrupted and cannot resume.",
          null,
        );
      } else {
        await this.ops.instances.update(this.ops.db, row.uuid, { task_state: null });
      }
    }
    return rows.length;
  }

  /** The host_status of the hosts of these servers, by host (see HostService.hostStatuses). */
  async hostStatuses(instances: readonly Instance[]): Promise<Map<string, string>> {
    const hosts = instances.flatMap((i) => (i.host ? [i.host] : []));
    return hosts.length === 0 ? new Map() : this.ops.ports.hosts.statuses(hosts);
  }

  /**
   * nova-compute's _destroy_evacuated_instances, when a host comes back (it starts, or an
   * operator lifts its forced down): the guests evacuated from it are destroyed there,
   * their claims on it freed, and their migrations completed.
   */
  async cleanUpEvacuated(host: string): Promise<number> {
    const evacuated = await this.ops.migrations.list({
      sourceCompute: host,
      migrationType: "evacuation",
      statuses: ["done"],
      order: "id",
    });
    const driver = this.ops.drivers.get(host);
    for (const migration of evacuated) {
      if (driver && (await driver.powerState(migration.instance_uuid)) !== PowerState.NOSTATE) {
        await driver.destroy(migration.instance_uuid);
      }
      await this.ops.placement.release(migration.uuid);
      await this.ops.migrations.setStatus(migration.id, "completed");
    }
    return evacuated.length;
  }
}
