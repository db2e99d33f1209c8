import { DEFAULT_FILTERS } from "../../../config.js";
import type { Db } from "../../../store/database.js";
import type { InstanceActionRepository } from "../../../store/instance-action-repository.js";
import type { FlavorSnapshot, Instance } from "../../../store/instance-record.js";
import type { InstanceRepository } from "../../../store/instance-repository.js";
import type { InstanceRow, InstanceUpdate, MigrationRow } from "../../../store/schema.js";
import { ServerGroupRepository } from "../../../store/server-group-repository.js";
import { TaskCancelled, type TaskContext } from "../../../tasks/engine.js";
import type { Driver, GuestSpec } from "../../../virt/driver.js";
import type { DriverRegistry } from "../../../virt/registry.js";
import type { InstanceNetworking } from "../../network/instance-networking.js";
import { DEFAULT_AZ } from "../aggregate-service.js";
import { MigrationRecords } from "../migration-records.js";
import { flavorResources, type Placement } from "../placement.js";
import type { ComputePorts } from "../ports.js";
import { type HostRequest, hostHints, Scheduler } from "../scheduler.js";
import { allowsMember } from "../server-group-service.js";
import { VmState } from "../vm-states.js";
import { NOT_ENOUGH_HOSTS, NoValidHost } from "./conductor.js";

/** What every compute task works with, and the steps they share. */
export class TaskSupport {
  constructor(
    readonly db: Db,
    readonly instances: InstanceRepository,
    readonly actions: InstanceActionRepository,
    readonly drivers: DriverRegistry,
    readonly network: InstanceNetworking,
    readonly images: ComputePorts["images"],
    readonly zones: ComputePorts["zones"],
    readonly placement: Placement,
    options: { maxAttempts?: number; enabledFilters?: readonly string[] } = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 3;
    this.#filters = new Set(options.enabledFilters ?? DEFAULT_FILTERS);
    this.migrations = new MigrationRecords(db);
    this.scheduler = new Scheduler(db, drivers);
    this.#groups = new ServerGroupRepository(db);
  }

  /** nova's scheduler max_attempts: the hosts a build may try before it fails (1: no reschedule). */
  readonly maxAttempts: number;
  readonly migrations: MigrationRecords;
  readonly scheduler: Scheduler;
  readonly #groups: ServerGroupRepository;
  readonly #filters: ReadonlySet<string>;

  /**
   * What the enabled filters (nova's `[filter_scheduler] enabled_filters`) take from a
   * server's scheduler hints and image: SameHostFilter and DifferentHostFilter read the
   * hints only when enabled (they are not by default, so nova ignores those hints),
   * ImagePropertiesFilter the image's properties.
   */
  #filtered(hints: Record<string, unknown>, imageProperties: Record<string, unknown>): Partial<HostRequest> {
    const { sameHost, differentHost } = hostHints(hints);
    return {
      ...(this.#filters.has("SameHostFilter") ? { sameHost } : {}),
      ...(this.#filters.has("DifferentHostFilter") ? { differentHost } : {}),
      ...(this.#filters.has("ImagePropertiesFilter") ? { imageProperties } : {}),
    };
  }

  /**
   * The hosts the server's group lets it move to (nova's ServerGroupAffinityFilter and
   * ServerGroupAntiAffinityFilter run on every move's scheduling); every host for a server
   * in no group.
   */
  async groupAllows(uuid: string): Promise<(host: string) => boolean> {
    const group = await this.#groups.groupOf(uuid);
    if (!group) return () => true;
    const members = await this.#groups.placements(this.db, group.uuid);
    return (host) => allowsMember(group, members, uuid, host);
  }

  /**
   * The conductor's choice for a move: of the enabled, up hosts other than the server's
   * (its own too with `includeSource`, nova's allow_resize_to_same_host for a resize; in
   * its pinned zone; only `requested` when one was named), those with room for `flavor`
   * (its own by default), most free RAM first. The first whose claim succeeds is recorded
   * as the migration's destination, in the transaction that moves the server's claims on
   * its source to the migration and claims the flavor there for it. A step run again after
   * a crash finds the destination recorded and keeps it. NoValidHost when none has room.
   */
  async claimMigration(
    instance: Instance,
    migration: MigrationRow,
    requested: string | null,
    options: { flavor?: FlavorSnapshot; includeSource?: boolean } = {},
  ): Promise<string> {
    if (migration.dest_compute && (await this.placement.allocationsOf(migration.uuid)).size > 0) {
      return migration.dest_compute;
    }
    const resources = flavorResources(options.flavor ?? instance.flavor);
    const request = {
      resources,
      zone: instance.pinnedAvailabilityZone,
      requested,
      exclude: options.includeSource ? null : instance.host,
      ...this.#filtered(instance.schedulerHints, instance.imageProperties),
    };
    const allowed = await this.groupAllows(instance.uuid);
    const chosen = await this.scheduler.select(request, async (trx, host) => {
      if (!allowed(host)) return false;
      const driver = this.drivers.get(host)!;
      const destination = { compute: host, node: host, host: (await driver.capacity()).hostIp };
      // false when another claim took the room meanwhile: the scheduler tries the next host
      if (!(await this.placement.claimMove(trx, host, instance.uuid, migration.uuid, resources)))
        return false;
      await this.migrations.setDestination(trx, migration.id, destination);
      return true;
    });
    if (chosen.host === null) throw new NoValidHost(NOT_ENOUGH_HOSTS);
    return chosen.host;
  }

  /**
   * Places the server, as nova's scheduler and placement do: of the enabled, up compute
   * hosts (in `zone` when one was asked for, or the one host named), those with room for
   * its flavor, most free RAM first; the first whose claim succeeds takes it, in the
   * transaction that gives the server its host, its zone and `changes`. Hosts `avoid` names
   * are passed over (a build rescheduled from them), and with `group` the server's group
   * policy is applied (a create applied it when it picked the host it asks for). Throws
   * NoValidHost when none has room. Answers the host and its zone.
   */
  async place(
    uuid: string,
    requested: string | null,
    zone: string | null,
    changes: InstanceUpdate = {},
    options: { avoid?: readonly string[]; group?: boolean } = {},
  ): Promise<{ host: string; zone: string }> {
    const row = await this.instances.row(this.db, uuid);
    if (row?.deleted !== 0) throw new TaskCancelled(`instance ${uuid} is gone`);
    const resources = flavorResources(JSON.parse(row.flavor));
    const avoid = new Set(options.avoid);
    const allowed = options.group ? await this.groupAllows(uuid) : () => true;
    let placed = { host: "", zone: DEFAULT_AZ };
    const chosen = await this.scheduler.select(
      {
        resources,
        zone,
        requested,
        ...this.#filtered(JSON.parse(row.scheduler_hints), JSON.parse(row.image_properties)),
      },
      async (trx, host, hostZone) => {
        if (avoid.has(host) || !allowed(host)) return false;
        placed = { host, zone: hostZone };
        // a step run again after a crash claims afresh
        await this.placement.release(uuid, trx);
        // false when another claim took the room meanwhile: the scheduler tries the next host
        if (!(await this.placement.claim(trx, host, uuid, resources))) return false;
        const changed = { host, node: host, availability_zone: placed.zone, ...changes };
        if (!(await this.instances.update(trx, uuid, changed, { notDeleted: true }))) {
          throw new TaskCancelled(`instance ${uuid} is gone`);
        }
        return true;
      },
    );
    if (chosen.host === null) throw new NoValidHost(chosen.reason);
    return placed;
  }

  /** The task's server; a server deleted meanwhile cancels the task. */
  async instance(ctx: TaskContext<unknown>): Promise<Instance> {
    const uuid = ctx.task.instance_uuid;
    const instance = uuid ? await this.instances.get(uuid) : undefined;
    if (!instance || instance.deleted) throw new TaskCancelled(`instance ${uuid} is gone`);
    return instance;
  }

  /**
   * The task's server as its bare row, for steps that read no addresses, metadata or tags:
   * one query instead of the six of a whole server. A server deleted meanwhile cancels the task.
   */
  async row(ctx: TaskContext<unknown>): Promise<InstanceRow> {
    const uuid = ctx.task.instance_uuid;
    const row = uuid ? await this.instances.row(this.db, uuid) : undefined;
    if (row?.deleted !== 0) throw new TaskCancelled(`instance ${uuid} is gone`);
    return row;
  }

  /** Whether the server is still there, not deleted (a step that raced a delete undoes its work). */
  async present(uuid: string): Promise<boolean> {
    return (await this.instances.row(this.db, uuid))?.deleted === 0;
  }

  driver(instance: Instance): Driver {
    const driver = instance.host ? this.drivers.get(instance.host) : undefined;
    if (!driver)
      throw new Error(`host ${instance.host ?? "(none)"} of instance ${instance.uuid} is not available`);
    return driver;
  }

  guest(instance: Instance): GuestSpec {
    const flavor =
      instance.newFlavor && instance.taskState?.startsWith("resize") ? instance.newFlavor : instance.flavor;
    return {
      uuid: instance.uuid,
      name: instance.name,
      hostname: instance.hostname,
      imageRef: instance.imageRef,
      vcpus: flavor.vcpus,
      memoryMb: flavor.memory_mb,
      rootGb: flavor.root_gb,
      userData: instance.userData,
      keyData: instance.keyData,
      addresses: instance.addresses.filter((a) => a.type === "fixed").map((a) => a.address),
    };
  }

  /**
   * A moved server is on `driver`'s host now: its ports bound there, that host's host, node
   * and zone, `vmState` (task_state cleared) and the power state read back from it.
   */
  async arrive(instance: Instance, driver: Driver, vmState: string): Promise<void> {
    const host = driver.hostname;
    await this.network.bind(instance.uuid, host);
    const zones = await this.zones.of([host]);
    await this.set(instance.uuid, {
      host,
      node: host,
      availability_zone: zones.get(host) ?? instance.availabilityZone,
      vm_state: vmState,
      task_state: null,
      power_state: await driver.powerState(instance.uuid),
    });
  }

  /** Updates the server unless it was deleted meanwhile (then the task is cancelled). */
  async set(uuid: string, changes: InstanceUpdate): Promise<void> {
    const applied = await this.instances.update(this.db, uuid, changes, { notDeleted: true });
    if (!applied) throw new TaskCancelled(`instance ${uuid} is gone`);
  }

  /** Runs `work` as one event of the task's instance action (nova's wrap_instance_event). */
  async event<T>(ctx: TaskContext<unknown>, name: string, host: string, work: () => Promise<T>): Promise<T> {
    const actionId = ctx.task.action_id;
    const eventId = actionId === null ? undefined : await this.actions.startEvent(actionId, name, host);
    try {
      const result = await work();
      if (eventId !== undefined) await this.actions.finishEvent(eventId, "Success");
      return result;
    } catch (error) {
      if (eventId !== undefined && !(error instanceof TaskCancelled)) {
        const message = error instanceof Error ? error.message : String(error);
        const traceback = error instanceof Error ? (error.stack ?? message) : message;
        await this.actions.finishEvent(eventId, "Error", { message, traceback });
      }
      throw error;
    }
  }

  /**
   * The whole of a simple host operation, as one event of the action: `run` on the server's
   * driver, then the server takes `changes` with the power state read back from the host,
   * task_state cleared; then the action ends.
   */
  async hostOperation(
    ctx: TaskContext<unknown>,
    event: string,
    run: (driver: Driver, instance: Instance) => Promise<void>,
    changes: InstanceUpdate,
  ): Promise<void> {
    const instance = await this.instance(ctx);
    const driver = this.driver(instance);
    await this.event(ctx, event, driver.hostname, async () => {
      await run(driver, instance);
      await this.set(instance.uuid, {
        ...changes,
        task_state: null,
        power_state: await driver.powerState(instance.uuid),
      });
    });
    await this.finishAction(ctx);
  }

  async finishAction(ctx: TaskContext<unknown>, message: string | null = null): Promise<void> {
    if (ctx.task.action_id !== null) await this.actions.finish(ctx.task.action_id, message);
  }

  /**
   * The end state after a failed host operation: nova puts the server in ERROR with a
   * fault the owner can read, clears the task_state and marks the action as failed.
   */
  async fail(ctx: TaskContext<unknown>, error: unknown, changes: InstanceUpdate = {}): Promise<void> {
    const uuid = ctx.task.instance_uuid;
    if (!uuid) return;
    const message = error instanceof Error ? error.message : String(error);
    const applied = await this.instances.update(
      this.db,
      uuid,
      { vm_state: VmState.ERROR, task_state: null, ...changes },
      { notDeleted: true },
    );
    if (applied) {
      await this.instances.setFault(
        this.db,
        uuid,
        500,
        message,
        error instanceof Error ? (error.stack ?? null) : null,
      );
    }
    await this.finishAction(ctx, "Error");
  }
}
