import { randomBytes, randomUUID } from "node:crypto";
import type { Transaction } from "kysely";
import type { Db } from "../../store/database.js";
import { InstanceActionRepository } from "../../store/instance-action-repository.js";
import type { FlavorSnapshot, Instance } from "../../store/instance-record.js";
import { type InstanceFilter, InstanceRepository } from "../../store/instance-repository.js";
import type { Database, InstanceRow, InstanceUpdate } from "../../store/schema.js";
import type { TaskEngine, TaskSecrets } from "../../tasks/engine.js";
import type { Driver, GuestDiagnostics } from "../../virt/driver.js";
import { POWER_STATE_NAMES, PowerState } from "../../virt/power-state.js";
import type { DriverRegistry } from "../../virt/registry.js";
import type { AuthContext } from "../context.js";
import {
  Conflict,
  Forbidden,
  InstanceInvalidState,
  InstanceNotFound,
  InvalidInput,
  NotFound,
  QuotaExceeded,
} from "../errors.js";
import type {
  InstanceNetworking,
  Interface,
  InterfaceRequest,
  RequestedNetworks,
} from "../network/instance-networking.js";
import { compactIPv6 } from "./access-ip.js";
import { MigrationRecords, MigrationType, requesterOf } from "./migration-records.js";
import type { ComputePorts, FlavorInfo } from "./ports.js";
import { ACTIONS, type ActionName, checkGuard, type GuardedInstance } from "./state-machine.js";
import {
  CONDUCTOR_HOST,
  type LiveMigrationTarget,
  liveMigrationDestination,
  liveMigrationForcedTo,
  MigrationRefused,
  NOT_ENOUGH_HOSTS,
  NoValidHost,
} from "./tasks/conductor.js";
import { VmState } from "./vm-states.js";

type Trx = Transaction<Database>;

export interface CreateServerRequest {
  name: string;
  imageRef?: string;
  flavorRef: string;
  networks: RequestedNetworks;
  keyName?: string;
  metadata?: Record<string, string>;
  userData?: string;
  availabilityZone?: string;
  minCount?: number;
  maxCount?: number;
  description?: string | null;
  tags?: string[];
  adminPass?: string;
  accessIPv4?: string;
  accessIPv6?: string;
  securityGroups?: string[];
  configDrive?: boolean;
  trustedImageCertificates?: string[] | null;
  hostname?: string;
  host?: string;
  schedulerHints?: Record<string, unknown>;
  blockDeviceMapping?: Array<Record<string, unknown>>;
}

export interface CreateServerResult {
  instances: Instance[];
  reservationId: string;
  adminPass: string;
}

export interface RebuildRequest {
  imageRef: string;
  name?: string;
  adminPass?: string;
  metadata?: Record<string, string>;
  description?: string | null;
  keyName?: string | null;
  userData?: string | null;
  accessIPv4?: string;
  accessIPv6?: string;
  hostname?: string;
  trustedImageCertificates?: string[] | null;
}

export interface ServerUpdate {
  name?: string;
  description?: string | null;
  accessIPv4?: string;
  accessIPv6?: string;
  hostname?: string;
  /** 2.104: null unpins; the server's current zone pins it there; any other zone is a conflict. */
  pinnedAvailabilityZone?: string | null;
}

export interface UnshelveRequest {
  /** 2.77+: the zone to unshelve in; null (2.91+) unpins the server; absent keeps its pin. */
  availabilityZone?: string | null;
  /** 2.91+: the host to unshelve on (admin only). */
  host?: string;
}

export interface RescueRequest {
  adminPass?: string;
  rescueImageRef?: string;
}

export interface BackupRequest {
  name: string;
  backupType: string;
  rotation: number;
  metadata?: Record<string, string>;
  /** Before 2.39 the metadata counts against the metadata_items quota. */
  checkMetadataQuota: boolean;
}

export interface LiveMigrationRequest {
  host: string | null;
  /** 2.30-2.67: false asks the scheduler to check the named host; null before 2.30. */
  force: boolean | null;
  /** Before 2.34 the API answers the conductor's refusal itself (400). */
  waitForChecks: boolean;
}

export const DEFAULT_AZ = "nova";
const MAX_TAGS = 50;
/** Tags change only in these states (nova's server-tags controller check). */
const TAGGABLE = new Set<string>([VmState.ACTIVE, VmState.PAUSED, VmState.SUSPENDED, VmState.STOPPED]);

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

/** Nova's sanitize_hostname: lowercase, runs of other characters become '-', at most 63 long. */
export function sanitizeHostname(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[ _]/g, "-")
    .replace(/[^\w.-]+/g, "")
    .replace(/^[.-]+|[.-]+$/g, "")
    .slice(0, 63)
    .replace(/[.-]+$/, "");
  return cleaned === "" ? "server" : cleaned;
}

export function flavorSnapshot(flavor: FlavorInfo): FlavorSnapshot {
  return {
    flavorid: flavor.flavorid,
    name: flavor.name,
    vcpus: flavor.vcpus,
    memory_mb: flavor.memory_mb,
    root_gb: flavor.root_gb,
    ephemeral_gb: flavor.ephemeral_gb,
    swap: flavor.swap,
    extra_specs: flavor.extraSpecs,
  };
}

function guarded(row: InstanceRow): GuardedInstance {
  return {
    uuid: row.uuid,
    vmState: row.vm_state,
    taskState: row.task_state,
    launchedAt: row.launched_at,
    locked: row.locked === 1,
  };
}

function generatePassword(): string {
  const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  return [...randomBytes(12)].map((b) => alphabet[b % alphabet.length]).join("");
}

/**
 * The instance lifecycle: every API operation on servers. Operations that change a
 * server check nova's state rules, set the task_state, record the instance action
 * and enqueue the task in one transaction; the task engine does the rest.
 */
export class ComputeService {
  readonly instances: InstanceRepository;
  readonly actions: InstanceActionRepository;
  readonly migrations: MigrationRecords;

  constructor(
    private readonly db: Db,
    private readonly engine: TaskEngine,
    private readonly ports: ComputePorts,
    private readonly network: InstanceNetworking,
    private readonly drivers: DriverRegistry,
  ) {
    this.instances = new InstanceRepository(db);
    this.actions = new InstanceActionRepository(db);
    this.migrations = new MigrationRecords(db);
  }

  // ---- reading ------------------------------------------------------------

  /** A server the caller may see: own project, or any for admin. Deleted servers are not found unless asked for. */
  async get(ctx: AuthContext, uuid: string, options: { allowDeleted?: boolean } = {}): Promise<Instance> {
    const instance = await this.instances.get(uuid);
    if (!instance || (!ctx.isAdmin && instance.projectId !== ctx.projectId)) throw new InstanceNotFound(uuid);
    if (instance.deleted && !options.allowDeleted) throw new InstanceNotFound(uuid);
    return instance;
  }

  /** Lists with a filter the HTTP layer built; `marker` is a server id the caller can see. */
  async list(ctx: AuthContext, filter: Omit<InstanceFilter, "marker">, marker?: string): Promise<Instance[]> {
    let markerRow: InstanceRow | undefined;
    if (marker !== undefined) {
      markerRow = await this.instances.row(this.db, marker);
      if (!markerRow || (!ctx.isAdmin && markerRow.project_id !== ctx.projectId)) {
        throw new InvalidInput(`marker [${marker}] not found`);
      }
    }
    return this.instances.list({ ...filter, marker: markerRow });
  }

  // ---- create -------------------------------------------------------------

  async create(ctx: AuthContext, req: CreateServerRequest): Promise<CreateServerResult> {
    const projectId = ctx.projectId;
    if (!projectId) throw new Forbidden("A project-scoped token is required.");
    const minCount = req.minCount ?? 1;
    const maxCount = req.maxCount ?? minCount;
    if (minCount > maxCount) throw new InvalidInput("min_count must be <= max_count");

    const flavor = await this.ports.flavors.get(ctx, req.flavorRef).catch((error: unknown) => {
      if (error instanceof NotFound) throw new InvalidInput(`Flavor ${req.flavorRef} could not be found.`);
      throw error;
    });
    const imageRef = this.#bootImage(req);
    const image = await this.ports.images.get(ctx, imageRef).catch((error: unknown) => {
      if (error instanceof NotFound) throw new InvalidInput("Can not find requested image");
      throw error;
    });
    if (image.status !== "active") throw new InvalidInput(`Image ${image.id} is not active.`);
    if (flavor.root_gb > 0 && image.minDisk > flavor.root_gb) {
      throw new InvalidInput("Flavor's disk is too small for requested image.");
    }
    if (image.minRam > flavor.memory_mb)
      throw new InvalidInput("Flavor's memory is too small for requested image.");

    let keyData: string | null = null;
    if (req.keyName !== undefined) {
      const keypair = await this.ports.keypairs.find(ctx.userId, req.keyName);
      if (!keypair) throw new InvalidInput("Invalid key_name provided.");
      keyData = keypair.publicKey;
    }
    const az = req.availabilityZone?.split(":")[0] || null;
    if (az !== null && !(await this.#zones()).has(az)) {
      throw new InvalidInput(`The requested availability zone is not available`);
    }
    if (req.host !== undefined && !this.drivers.hosts.includes(req.host)) {
      throw new InvalidInput(`Compute host ${req.host} could not be found.`);
    }
    const securityGroups = await this.network.securityGroups.forCreate(ctx, req.securityGroups);
    const nics = await this.network.plan(ctx, req.networks, maxCount);
    await this.ports.quota.checkMetadataItems(projectId, Object.keys(req.metadata ?? {}).length, ctx.userId);
    const groupUuid = await this.ports.serverGroups.hintedGroup(ctx, req.schedulerHints);

    const adminPass = req.adminPass ?? generatePassword();
    const reservationId = `r-${randomBytes(4).toString("hex").slice(0, 8)}`;
    const snapshot = flavorSnapshot(flavor);
    const created: string[] = [];

    await this.db.transaction().execute(async (trx) => {
      const count = await this.#fitQuota(trx, projectId, ctx.userId, flavor, minCount, maxCount);
      // a group's policy places its servers; null: no host fits (nova's NoValidHost)
      const hosts =
        groupUuid === undefined
          ? undefined
          : await this.ports.serverGroups.place(
              trx,
              ctx,
              groupUuid,
              count,
              req.host ? [req.host] : this.drivers.hosts,
            );
      const now = new Date().toISOString();
      for (let i = 0; i < count; i++) {
        const uuid = randomUUID();
        const host = hosts?.[i];
        const name = count > 1 ? `${req.name}-${i + 1}` : req.name;
        await this.instances.insert(
          trx,
          {
            uuid,
            project_id: projectId,
            user_id: ctx.userId,
            display_name: name,
            display_description: req.description ?? null,
            hostname:
              req.hostname !== undefined && count === 1
                ? req.hostname
                : sanitizeHostname(req.hostname !== undefined ? `${req.hostname}-${i + 1}` : name),
            image_ref: imageRef,
            image_properties: JSON.stringify(image.properties),
            flavor_id: flavor.flavorid,
            flavor: JSON.stringify(snapshot),
            vcpus: flavor.vcpus,
            memory_mb: flavor.memory_mb,
            vm_state: host === null ? VmState.ERROR : VmState.BUILDING,
            task_state: host === null ? null : "scheduling",
            power_state: PowerState.NOSTATE,
            availability_zone: az,
            pinned_availability_zone: az,
            key_name: req.keyName ?? null,
            key_data: keyData,
            user_data: req.userData ?? null,
            access_ip_v4: req.accessIPv4 ?? null,
            access_ip_v6: req.accessIPv6 === undefined ? null : compactIPv6(req.accessIPv6),
            reservation_id: reservationId,
            launch_index: i,
            config_drive: req.configDrive ? "True" : "",
            root_device_name: "/dev/vda",
            trusted_certs: req.trustedImageCertificates ? JSON.stringify(req.trustedImageCertificates) : null,
            scheduler_hints: JSON.stringify(req.schedulerHints ?? {}),
            security_groups: JSON.stringify(req.securityGroups ?? ["default"]),
            block_device_mapping: JSON.stringify(req.blockDeviceMapping ?? []),
            networks: JSON.stringify(req.networks),
            created_at: now,
            updated_at: now,
          },
          req.metadata ?? {},
          req.tags ?? [],
        );
        const actionId = await this.actions.start(trx, {
          instanceUuid: uuid,
          action: "create",
          requestId: ctx.requestId,
          projectId,
          userId: ctx.userId,
        });
        if (host === null) {
          // nova buries a server its scheduler placed nowhere: ERROR at once, the create failed
          const { message } = new NoValidHost(NOT_ENOUGH_HOSTS);
          await this.instances.setFault(trx, uuid, 500, message, `NoValidHost: ${message}`);
          await this.actions.finish(actionId, "Error", trx);
        } else {
          await this.network.allocate(trx, ctx, { instanceUuid: uuid, zone: az }, nics, { securityGroups });
          await this.engine.enqueue(trx, {
            kind: "build",
            instanceUuid: uuid,
            actionId,
            payload: { host: host ?? req.host ?? null },
          });
        }
        created.push(uuid);
      }
      if (groupUuid !== undefined) await this.ports.serverGroups.addMembers(trx, groupUuid, created);
    });
    this.engine.wake();
    // one batch read (a multi-create of 1,000 servers read them one by one before)
    const instances = await this.instances.list({
      uuids: created,
      deleted: "include",
      sort: [{ column: "launch_index", direction: "asc" }],
      limit: created.length,
    });
    return { instances, reservationId, adminPass };
  }

  /** The image a server boots from: imageRef, or the boot_index 0 image of block_device_mapping_v2. */
  #bootImage(req: CreateServerRequest): string {
    if (req.imageRef) return req.imageRef;
    const root = req.blockDeviceMapping?.find((bdm) => String(bdm.boot_index ?? "") === "0");
    if (root) {
      if (root.source_type !== "image" || (root.destination_type ?? "local") !== "local") {
        throw new InvalidInput(
          "Block Device Mapping is Invalid: only booting from an image to a local disk is supported (nimbus has no block storage yet).",
        );
      }
      return String(root.uuid ?? "");
    }
    throw new InvalidInput("Missing imageRef attribute");
  }

  /** As many servers as quota allows between min and max, or nova's quota error for min. */
  async #fitQuota(
    trx: Trx,
    projectId: string,
    userId: string,
    flavor: FlavorInfo,
    min: number,
    max: number,
  ): Promise<number> {
    let lastError: unknown;
    for (let count = max; count >= min; count--) {
      try {
        await this.ports.quota.checkInstances(
          trx,
          projectId,
          { instances: count, cores: flavor.vcpus * count, ram: flavor.memory_mb * count },
          userId,
        );
        return count;
      } catch (error) {
        if (!(error instanceof QuotaExceeded)) throw error;
        lastError = error;
        // counts between min and max are tried from the top; a large range jumps to min
        if (count - min > 32) count = min + 1;
      }
    }
    // nova names the whole range it was asked for
    if (lastError instanceof QuotaExceeded && min !== max) {
      throw new QuotaExceeded(lastError.message.replace(/Requested \d+,/, `Requested ${min}-${max},`));
    }
    throw lastError;
  }

  // ---- update and delete ----------------------------------------------------

  async update(ctx: AuthContext, uuid: string, changes: ServerUpdate): Promise<Instance> {
    const instance = await this.get(ctx, uuid);
    const set: InstanceUpdate = {};
    if (changes.name !== undefined) set.display_name = changes.name;
    if (changes.description !== undefined) set.display_description = changes.description;
    if (changes.accessIPv4 !== undefined) set.access_ip_v4 = changes.accessIPv4;
    if (changes.accessIPv6 !== undefined) set.access_ip_v6 = compactIPv6(changes.accessIPv6);
    if (changes.hostname !== undefined) set.hostname = changes.hostname;
    if (changes.pinnedAvailabilityZone !== undefined) {
      const zone = changes.pinnedAvailabilityZone;
      const pinned = instance.pinnedAvailabilityZone;
      if (zone !== null && pinned !== null && zone !== pinned) {
        throw new Conflict(
          "Cannot change pinned availability zone directly. Unpin first by setting pinned_availability_zone to null.",
        );
      }
      if (zone !== null && pinned === null && zone !== instance.availabilityZone) {
        throw new Conflict(
          `Server can only be pinned to its current availability zone '${instance.availabilityZone}', but '${zone}' was requested.`,
        );
      }
      set.pinned_availability_zone = zone;
    }
    await this.instances.update(this.db, instance.uuid, set);
    return this.get(ctx, uuid);
  }

  async delete(ctx: AuthContext, uuid: string): Promise<void> {
    await this.#accept(ctx, uuid, "delete", "delete", { kind: "delete" });
  }

  // ---- actions ---------------------------------------------------------------

  async reboot(ctx: AuthContext, uuid: string, type: "SOFT" | "HARD"): Promise<void> {
    const hard = type === "HARD";
    await this.#accept(ctx, uuid, hard ? "reboot_hard" : "reboot_soft", "reboot", {
      kind: "reboot",
      payload: { hard },
    });
  }

  async powerAction(
    ctx: AuthContext,
    uuid: string,
    action: "start" | "stop" | "pause" | "unpause" | "suspend" | "resume",
  ) {
    await this.#accept(ctx, uuid, action, action, { kind: "power", payload: { action } });
  }

  async resize(ctx: AuthContext, uuid: string, flavorRef: string): Promise<void> {
    const instance = await this.get(ctx, uuid);
    // nova checks the state before it looks at the flavor
    checkGuard(guarded(await this.#row(uuid)), ACTIONS.resize, "resize", ctx);
    const flavor = await this.ports.flavors.get(ctx, flavorRef).catch((error: unknown) => {
      if (error instanceof NotFound) throw new InvalidInput(`Unable to find flavor ${flavorRef}`);
      throw error;
    });
    if (flavor.flavorid === instance.flavor.flavorid) {
      throw new InvalidInput("When resizing, instances must change flavor!");
    }
    if (flavor.root_gb < instance.flavor.root_gb && flavor.root_gb !== 0) {
      throw new InvalidInput("Resize error: Unable to resize disk down.");
    }
    const snapshot = flavorSnapshot(flavor);
    await this.#accept(ctx, uuid, "resize", "resize", {
      kind: "resize",
      payload: { requester: requesterOf(ctx) },
      changes: {
        old_flavor: JSON.stringify(instance.flavor),
        new_flavor: JSON.stringify(snapshot),
        vcpus: Math.max(flavor.vcpus, instance.flavor.vcpus),
        memory_mb: Math.max(flavor.memory_mb, instance.flavor.memory_mb),
      },
      quota: {
        cores: Math.max(0, flavor.vcpus - instance.flavor.vcpus),
        ram: Math.max(0, flavor.memory_mb - instance.flavor.memory_mb),
      },
    });
  }

  async confirmResize(ctx: AuthContext, uuid: string): Promise<void> {
    await this.#accept(ctx, uuid, "confirmResize", "confirmResize", { kind: "confirm_resize" });
  }

  async revertResize(ctx: AuthContext, uuid: string): Promise<void> {
    await this.#accept(ctx, uuid, "revertResize", "revertResize", { kind: "revert_resize" });
  }

  async rebuild(
    ctx: AuthContext,
    uuid: string,
    req: RebuildRequest,
  ): Promise<{ instance: Instance; adminPass: string }> {
    const instance = await this.get(ctx, uuid);
    const image = await this.ports.images.get(ctx, req.imageRef).catch((error: unknown) => {
      if (error instanceof NotFound) throw new InvalidInput("Can not find requested image");
      throw error;
    });
    if (image.status !== "active") throw new InvalidInput(`Image ${image.id} is not active.`);
    if (image.minRam > instance.flavor.memory_mb) {
      throw new InvalidInput("Flavor's memory is too small for requested image.");
    }
    const changes: InstanceUpdate = {
      image_ref: image.id,
      image_properties: JSON.stringify(image.properties),
    };
    if (req.name !== undefined) changes.display_name = req.name;
    if (req.description !== undefined) changes.display_description = req.description;
    if (req.accessIPv4 !== undefined) changes.access_ip_v4 = req.accessIPv4;
    if (req.accessIPv6 !== undefined) changes.access_ip_v6 = compactIPv6(req.accessIPv6);
    if (req.hostname !== undefined) changes.hostname = req.hostname;
    if (req.userData !== undefined) changes.user_data = req.userData;
    if (req.trustedImageCertificates !== undefined) {
      changes.trusted_certs = req.trustedImageCertificates
        ? JSON.stringify(req.trustedImageCertificates)
        : null;
    }
    if (req.keyName !== undefined) {
      if (req.keyName === null) {
        changes.key_name = null;
        changes.key_data = null;
      } else {
        const keypair = await this.ports.keypairs.find(ctx.userId, req.keyName);
        if (!keypair) throw new InvalidInput("Invalid key_name provided.");
        changes.key_name = keypair.name;
        changes.key_data = keypair.publicKey;
      }
    }
    if (req.metadata !== undefined) {
      await this.ports.quota.checkMetadataItems(
        instance.projectId,
        Object.keys(req.metadata).length,
        ctx.userId,
      );
    }
    await this.#accept(ctx, uuid, "rebuild", "rebuild", {
      kind: "rebuild",
      changes,
      metadata: req.metadata,
    });
    return { instance: await this.get(ctx, uuid), adminPass: req.adminPass ?? generatePassword() };
  }

  /** Starts a snapshot into a new image; returns the image id at once (the upload follows). */
  async createImage(
    ctx: AuthContext,
    uuid: string,
    name: string,
    metadata: Record<string, string>,
  ): Promise<string> {
    const instance = await this.get(ctx, uuid);
    checkGuard(guarded(await this.#row(uuid)), ACTIONS.createImage, "createImage", ctx);
    const imageId = await this.ports.images.createSnapshot(ctx, {
      name,
      instanceUuid: uuid,
      // nova's _create_image: the caller's metadata has precedence over the keys it sets
      properties: {
        instance_uuid: uuid,
        image_type: "snapshot",
        base_image_ref: instance.imageRef,
        ...metadata,
      },
    });
    await this.#acceptIntoImage(imageId, () =>
      this.#accept(ctx, uuid, "createImage", "createImage", { kind: "snapshot", payload: { imageId } }),
    );
    return imageId;
  }

  /** Accepts an action that fills a queued image; a refused action leaves no empty image behind. */
  async #acceptIntoImage(imageId: string, accept: () => Promise<void>): Promise<void> {
    try {
      await accept();
    } catch (error) {
      await this.ports.images.deleteSnapshot(imageId);
      throw error;
    }
  }

  async lock(ctx: AuthContext, uuid: string, reason: string | null): Promise<void> {
    const instance = await this.get(ctx, uuid);
    await this.db.transaction().execute(async (trx) => {
      await this.instances.update(trx, instance.uuid, {
        locked: 1,
        locked_by: ctx.isAdmin ? "admin" : "owner",
        locked_reason: reason,
      });
      await this.#recordInstant(trx, ctx, instance, "lock", "api_lock");
    });
  }

  async unlock(ctx: AuthContext, uuid: string): Promise<void> {
    const instance = await this.get(ctx, uuid);
    if (instance.locked && instance.lockedBy === "admin" && !ctx.isAdmin) {
      throw new Forbidden(
        `Policy doesn't allow os_compute_api:os-lock-server:unlock:unlock_override to be performed.`,
      );
    }
    await this.db.transaction().execute(async (trx) => {
      await this.instances.update(trx, instance.uuid, { locked: 0, locked_by: null, locked_reason: null });
      await this.#recordInstant(trx, ctx, instance, "unlock", "api_unlock");
    });
  }

  // ---- network interfaces (os-interface) ------------------------------------

  async interfaces(ctx: AuthContext, uuid: string): Promise<Interface[]> {
    await this.get(ctx, uuid);
    return this.network.interfaces(ctx, uuid);
  }

  async interface(ctx: AuthContext, uuid: string, portId: string): Promise<Interface> {
    await this.get(ctx, uuid);
    return this.network.interface(ctx, uuid, portId);
  }

  /** Attaches a NIC and waits for it, as nova's API waits for the compute's answer. */
  async attachInterface(ctx: AuthContext, uuid: string, request: InterfaceRequest): Promise<Interface> {
    const instance = await this.get(ctx, uuid);
    checkGuard(guarded(await this.#row(uuid)), ACTIONS.interface, "attach_interface", ctx);
    const portId = await this.network.attach(
      ctx,
      { instanceUuid: uuid, zone: instance.availabilityZone, host: instance.host },
      request,
    );
    await this.db
      .transaction()
      .execute((trx) =>
        this.#recordInstant(trx, ctx, instance, "attach_interface", "compute_attach_interface"),
      );
    return this.network.interface(ctx, uuid, portId);
  }

  async detachInterface(ctx: AuthContext, uuid: string, portId: string): Promise<void> {
    const instance = await this.get(ctx, uuid);
    checkGuard(guarded(await this.#row(uuid)), ACTIONS.interface, "detach_interface", ctx);
    await this.network.interface(ctx, uuid, portId);
    await this.network.detach(uuid, portId);
    await this.db
      .transaction()
      .execute((trx) =>
        this.#recordInstant(trx, ctx, instance, "detach_interface", "compute_detach_interface"),
      );
  }

  /** os-resetState: admin's way out of a stuck state; sets vm_state and clears task_state. */
  async resetState(ctx: AuthContext, uuid: string, state: "active" | "error"): Promise<void> {
    const instance = await this.get(ctx, uuid);
    await this.db.transaction().execute(async (trx) => {
      await this.instances.update(trx, instance.uuid, { vm_state: state, task_state: null });
      await this.#recordInstant(trx, ctx, instance, "resetState");
    });
  }

  /** Asks the guest's kernel to dump core (an NMI); the fake and container drivers have nothing to dump. */
  async triggerCrashDump(ctx: AuthContext, uuid: string): Promise<void> {
    const instance = await this.get(ctx, uuid);
    await this.db.transaction().execute(async (trx) => {
      checkGuard(guarded(await this.#row(uuid, trx)), ACTIONS.triggerCrashDump, "trigger_crash_dump", ctx);
      await this.#recordInstant(trx, ctx, instance, "trigger_crash_dump");
    });
  }

  /**
   * The console log, or its tail as nova's compute manager cuts it: the last `length` pieces
   * of the log split at newlines (a log ending in a newline has an empty last piece, so
   * `length` 2 gives one line), nothing for 0, and all but the first piece for -1.
   */
  async consoleOutput(ctx: AuthContext, uuid: string, length?: number): Promise<string> {
    const instance = await this.get(ctx, uuid);
    const driver = instance.host ? this.drivers.get(instance.host) : undefined;
    if (!driver || instance.vmState === VmState.BUILDING) throw new Conflict(`Instance ${uuid} is not ready`);
    let log: string;
    try {
      log = await driver.consoleOutput(uuid);
    } catch {
      throw new Conflict(`Instance ${uuid} is not ready`);
    }
    if (length === undefined) return log;
    return length === 0 ? "" : log.split("\n").slice(-length).join("\n");
  }

  async setMetadata(ctx: AuthContext, uuid: string, metadata: Record<string, string>, replace: boolean) {
    const instance = await this.get(ctx, uuid);
    checkGuard(guarded(await this.#row(uuid)), ACTIONS.metadata, "update metadata", ctx);
    // the quota is checked against the metadata as read here; the merge itself re-reads it
    // under the server's lock, so concurrent merges keep each other's keys
    const expected = replace ? metadata : { ...instance.metadata, ...metadata };
    await this.ports.quota.checkMetadataItems(instance.projectId, Object.keys(expected).length, ctx.userId);
    return this.db.transaction().execute(async (trx) => {
      let merged = metadata;
      if (replace) await this.instances.replaceMetadata(trx, uuid, metadata);
      else merged = await this.instances.mergeMetadata(trx, uuid, metadata);
      await this.instances.update(trx, uuid, {});
      return merged;
    });
  }

  async deleteMetadataItem(ctx: AuthContext, uuid: string, key: string): Promise<void> {
    const instance = await this.get(ctx, uuid);
    // nova answers a missing key before it looks at the server's state
    if (!(key in instance.metadata)) throw new NotFound(`Metadata item was not found`);
    checkGuard(guarded(await this.#row(uuid)), ACTIONS.metadata, "delete metadata", ctx);
    await this.db.transaction().execute(async (trx) => {
      if (!(await this.instances.deleteMetadataItem(trx, uuid, key))) {
        throw new NotFound(`Metadata item was not found`);
      }
      await this.instances.update(trx, uuid, {});
    });
  }

  /** Replaces a server's tags (nova allows at most 50; tag syntax is checked by the API schema). */
  /** `label` names the operation in nova's 409 ("update tags", "update tag", "delete tag", "delete tags"). */
  async setTags(ctx: AuthContext, uuid: string, tags: string[], label = "update tags"): Promise<string[]> {
    const instance = await this.get(ctx, uuid);
    if (!TAGGABLE.has(instance.vmState)) {
      throw new InstanceInvalidState(uuid, label, "vm_state", instance.vmState);
    }
    const unique = [...new Set(tags)];
    if (unique.length > MAX_TAGS) {
      throw new InvalidInput(`The number of tags exceeded the per-server limit ${MAX_TAGS}`);
    }
    await this.db.transaction().execute(async (trx) => {
      await this.instances.replaceTags(trx, uuid, unique);
      await this.instances.update(trx, uuid, {});
    });
    return unique.sort();
  }

  /**
   * After the task engine has taken back the work of a dead process, any server still
   * marked mid-operation has no task left to finish it: a build ends in ERROR with a
   * fault, anything else returns to its vm_state with the task_state cleared.
   */
  async endOrphanedOperations(): Promise<number> {
    const rows = await this.instances.orphaned();
    for (const row of rows) {
      if (row.vm_state === VmState.BUILDING) {
        await this.instances.update(this.db, row.uuid, { vm_state: VmState.ERROR, task_state: null });
        await this.instances.setFault(
          this.db,
          row.uuid,
          500,
          "Build of instance was interrupted and cannot resume.",
          null,
        );
      } else {
        await this.instances.update(this.db, row.uuid, { task_state: null });
      }
    }
    return rows.length;
  }

  /** The host_status of the hosts of these servers, by host (see HostService.hostStatuses). */
  async hostStatuses(instances: readonly Instance[]): Promise<Map<string, string>> {
    const hosts = instances.flatMap((i) => (i.host ? [i.host] : []));
    return hosts.length === 0 ? new Map() : this.ports.hosts.statuses(hosts);
  }

  /** nova's available zones: those its compute hosts are in (an aggregate's zone, else the default). */
  async #zones(): Promise<Set<string>> {
    return new Set((await this.ports.zones.of(this.drivers.hosts)).values());
  }

  // ---- shelve, rescue, password, backup and migration -------------------------

  /** Snapshots the server into `<name>-shelved` and takes it off its host (see tasks/shelve.ts). */
  async shelve(ctx: AuthContext, uuid: string): Promise<void> {
    const instance = await this.get(ctx, uuid);
    checkGuard(guarded(await this.#row(uuid)), ACTIONS.shelve, "shelve", ctx);
    const imageId = await this.ports.images.createSnapshot(ctx, {
      name: `${instance.name}-shelved`,
      instanceUuid: uuid,
      properties: { instance_uuid: uuid, image_type: "snapshot", base_image_ref: instance.imageRef },
    });
    await this.#acceptIntoImage(imageId, () =>
      this.#accept(ctx, uuid, "shelve", "shelve", { kind: "shelve", payload: { imageId } }),
    );
  }

  async shelveOffload(ctx: AuthContext, uuid: string): Promise<void> {
    await this.#accept(ctx, uuid, "shelveOffload", "shelveOffload", { kind: "shelve_offload" });
  }

  /**
   * Restores a shelved server. A zone (2.77) or host (2.91) may only be asked for when it is
   * offloaded; `availabilityZone` null unpins it, absent leaves its pin as it was.
   */
  async unshelve(ctx: AuthContext, uuid: string, req: UnshelveRequest = {}): Promise<void> {
    const instance = await this.get(ctx, uuid);
    checkGuard(guarded(await this.#row(uuid)), ACTIONS.unshelve, "unshelve", ctx);
    const zonePassed = req.availabilityZone !== undefined;
    if ((zonePassed || req.host !== undefined) && instance.vmState !== VmState.SHELVED_OFFLOADED) {
      throw new Conflict(
        `Specifying an availability zone or a host when unshelving server "${uuid}" with status "${instance.vmState}" is not supported. The server status must be SHELVED_OFFLOADED.`,
      );
    }
    const zoneOf = await this.ports.zones.of(this.drivers.hosts);
    if (req.availabilityZone && !(await this.#zones()).has(req.availabilityZone)) {
      throw new InvalidInput("The requested availability zone is not available");
    }
    const zone = zonePassed ? (req.availabilityZone ?? null) : instance.pinnedAvailabilityZone;
    if (req.host !== undefined) {
      // the edge has checked os-shelve:unshelve_to_host (admin) before any of this
      if (!this.drivers.hosts.includes(req.host)) {
        throw new InvalidInput(`Compute host ${req.host} could not be found.`);
      }
      if (zone !== null && zoneOf.get(req.host) !== zone) {
        throw new Conflict(`Host "${req.host}" is not in the availability zone "${zone}".`);
      }
    }
    await this.#accept(ctx, uuid, "unshelve", "unshelve", {
      kind: "unshelve",
      changes: zonePassed ? { pinned_availability_zone: zone } : {},
      payload: { host: req.host ?? null, requester: ctx },
    });
  }

  /** Boots the server from a rescue image; returns the rescue system's password (generated unless given). */
  async rescue(ctx: AuthContext, uuid: string, req: RescueRequest = {}): Promise<string> {
    const instance = await this.get(ctx, uuid);
    checkGuard(guarded(await this.#row(uuid)), ACTIONS.rescue, "rescue", ctx);
    const imageRef = req.rescueImageRef ?? instance.imageRef;
    if (req.rescueImageRef !== undefined) {
      const image = await this.ports.images.get(ctx, req.rescueImageRef).catch((error: unknown) => {
        if (error instanceof NotFound) return undefined;
        throw error;
      });
      // nova cannot rescue from a volume snapshot's image either
      if (!image || image.properties.img_block_device_mapping !== undefined) {
        throw new InvalidInput(`Requested rescue image '${req.rescueImageRef}' is not supported`);
      }
    }
    const adminPass = req.adminPass ?? generatePassword();
    await this.#accept(ctx, uuid, "rescue", "rescue", {
      kind: "rescue",
      payload: { imageRef },
      secrets: { adminPass },
    });
    return adminPass;
  }

  async unrescue(ctx: AuthContext, uuid: string): Promise<void> {
    await this.#accept(ctx, uuid, "unrescue", "unrescue", { kind: "unrescue" });
  }

  /** Sets the administrator password inside the guest (PASSWORD while it runs). */
  async changePassword(ctx: AuthContext, uuid: string, password: string): Promise<void> {
    await this.#accept(ctx, uuid, "changePassword", "changePassword", {
      kind: "set_admin_password",
      secrets: { password },
    });
  }

  /**
   * Starts a backup into a new image (image_type backup) and returns its id at once; when
   * it is uploaded, backups of the same type beyond `rotation` are deleted.
   */
  async createBackup(ctx: AuthContext, uuid: string, req: BackupRequest): Promise<string> {
    const instance = await this.get(ctx, uuid);
    const metadata = req.metadata ?? {};
    if (req.checkMetadataQuota && Object.keys(metadata).length > 0) {
      await this.ports.quota
        .checkMetadataItems(ctx.projectId ?? instance.projectId, Object.keys(metadata).length, ctx.userId)
        .catch((error: unknown) => {
          if (error instanceof QuotaExceeded) throw new Forbidden("Image metadata limit exceeded");
          throw error;
        });
    }
    checkGuard(guarded(await this.#row(uuid)), ACTIONS.createBackup, "createBackup", ctx);
    const imageId = await this.ports.images.createSnapshot(ctx, {
      name: req.name,
      instanceUuid: uuid,
      // as nova's backup: the caller's metadata wins but for backup_type, which rotation reads
      properties: {
        instance_uuid: uuid,
        image_type: "backup",
        base_image_ref: instance.imageRef,
        ...metadata,
        backup_type: req.backupType,
      },
    });
    await this.#acceptIntoImage(imageId, () =>
      this.#accept(ctx, uuid, "createBackup", "createBackup", {
        kind: "backup",
        payload: { imageId, backupType: req.backupType, rotation: req.rotation, requester: ctx },
      }),
    );
    return imageId;
  }

  /**
   * Cold migration: to a named host (2.56) or one the scheduler picks. The server's own
   * host is refused at once; with no other host the conductor fails it after the 202.
   */
  async migrate(ctx: AuthContext, uuid: string, host: string | null): Promise<void> {
    const instance = await this.get(ctx, uuid);
    checkGuard(guarded(await this.#row(uuid)), ACTIONS.migrate, "migrate", ctx);
    if (host !== null) {
      if (host === instance.host)
        throw new InvalidInput("Cannot migrate to the host where the server exists.");
      if (!this.drivers.hosts.includes(host))
        throw new InvalidInput(`Compute host ${host} could not be found.`);
    }
    await this.#accept(ctx, uuid, "migrate", "migrate", {
      kind: "cold_migrate",
      payload: { requester: requesterOf(ctx) },
    });
  }

  /**
   * Live migration. Before 2.34 the API waited for the conductor's checks and answered a
   * refusal with 400 (`waitForChecks`); from 2.34 it answers 202 and the task fails.
   */
  async liveMigrate(ctx: AuthContext, uuid: string, req: LiveMigrationRequest): Promise<void> {
    const instance = await this.get(ctx, uuid);
    checkGuard(guarded(await this.#row(uuid)), ACTIONS["os-migrateLive"], "os-migrateLive", ctx);
    if (req.host !== null && !this.drivers.hosts.includes(req.host)) {
      throw new InvalidInput(`Compute host ${req.host} could not be found.`);
    }
    // nova forces a named host unless force is false (2.30+): the scheduler is bypassed
    const target: LiveMigrationTarget = { host: req.host, forced: req.host !== null && req.force !== false };
    if (req.waitForChecks) {
      try {
        liveMigrationDestination(uuid, instance.host, this.drivers.hosts, target);
      } catch (error) {
        if (!(error instanceof MigrationRefused)) throw error;
        const forced = liveMigrationForcedTo(target);
        await this.migrations.begin(instance, MigrationType.LIVE_MIGRATION, requesterOf(ctx), forced);
        await this.migrations.advance(instance.uuid, "error");
        await this.#recordRefusal(ctx, instance, "live-migration", "conductor_migrate_server", error);
        throw new InvalidInput(error.message);
      }
    }
    await this.#accept(ctx, uuid, "os-migrateLive", "live-migration", {
      kind: "live_migrate",
      payload: { ...target, requester: requesterOf(ctx) },
    });
  }

  // ---- what hosts report and external services tell -----------------------------

  /**
   * What the server's host can tell about it (nova's get_instance_diagnostics): it must be
   * placed on a host (else 409 not ready) and running there (else nova's 409, naming the
   * power state last recorded).
   */
  async diagnostics(ctx: AuthContext, uuid: string): Promise<GuestDiagnostics & { config_drive: boolean }> {
    const instance = await this.get(ctx, uuid);
    const driver = instance.host ? this.drivers.get(instance.host) : undefined;
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
    const instance = await this.instances.get(uuid);
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
      const claimed = await this.instances.update(
        this.db,
        uuid,
        { task_state: update.taskState },
        { taskState: null, notDeleted: true },
      );
      // another action took the server meanwhile: nova lets that one win
      if (!claimed) return;
      await update.run(driver, uuid);
      await this.instances.update(this.db, uuid, {
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
    const actionId = await this.actions.start(this.db, {
      instanceUuid: instance.uuid,
      action,
      requestId: ctx.requestId,
      projectId: instance.projectId,
      userId: ctx.userId,
    });
    const eventId = await this.actions.startEvent(actionId, event, instance.host ?? "");
    try {
      const driver = instance.host ? this.drivers.get(instance.host) : undefined;
      if (!driver) throw new Error(`host ${instance.host} of instance ${instance.uuid} is not available`);
      await work(driver);
      await this.actions.finishEvent(eventId, "Success");
      await this.actions.finish(actionId, null);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const traceback = error instanceof Error ? (error.stack ?? message) : message;
      await this.instances.update(this.db, instance.uuid, { task_state: null }, { notDeleted: true });
      await this.instances.setFault(this.db, instance.uuid, 500, message, traceback);
      await this.actions.finishEvent(eventId, "Error", { message, traceback });
      await this.actions.finish(actionId, "Error");
    }
  }

  /** The encrypted administrator password the guest left for os-server-password ("" when none). */
  async serverPassword(ctx: AuthContext, uuid: string): Promise<string> {
    await this.get(ctx, uuid);
    return (await this.#row(uuid)).admin_pass ?? "";
  }

  /** Forgets the encrypted password (the guest's own password does not change). */
  async clearServerPassword(ctx: AuthContext, uuid: string): Promise<void> {
    await this.get(ctx, uuid);
    await this.instances.update(this.db, uuid, { admin_pass: null }, { notDeleted: true });
  }

  /**
   * A request the conductor refused while the API waited: the action and its failed event
   * are recorded and the refusal becomes the server's fault; its states are untouched.
   */
  async #recordRefusal(
    ctx: AuthContext,
    instance: Instance,
    action: string,
    event: string,
    error: Error,
  ): Promise<void> {
    const actionId = await this.actions.start(this.db, {
      instanceUuid: instance.uuid,
      action,
      requestId: ctx.requestId,
      projectId: instance.projectId,
      userId: ctx.userId,
    });
    const eventId = await this.actions.startEvent(actionId, event, CONDUCTOR_HOST);
    const traceback = error.stack ?? error.message;
    await this.actions.finishEvent(eventId, "Error", { message: error.message, traceback });
    await this.actions.finish(actionId, "Error");
    await this.instances.setFault(this.db, instance.uuid, 500, error.message, traceback);
  }

  // ---- the common path of asynchronous actions -----------------------------

  async #row(uuid: string, executor: Db | Trx = this.db): Promise<InstanceRow> {
    const row = await this.instances.row(executor, uuid);
    if (!row || row.deleted === 1) throw new InstanceNotFound(uuid);
    return row;
  }

  /**
   * Checks the state rule of `action`, applies its task_state and `changes`, records the
   * instance action and enqueues the task, all in one transaction; then wakes the engine.
   */
  async #accept(
    ctx: AuthContext,
    uuid: string,
    action: ActionName,
    recordAs: string,
    work: {
      kind: string;
      payload?: unknown;
      /** Passwords for the guest: sealed in the task row, never stored in clear. */
      secrets?: TaskSecrets;
      changes?: InstanceUpdate;
      metadata?: Record<string, string>;
      quota?: { cores: number; ram: number };
    },
  ): Promise<void> {
    const transition = ACTIONS[action];
    await this.db.transaction().execute(async (trx) => {
      const row = await this.#row(uuid, trx);
      if (!ctx.isAdmin && row.project_id !== ctx.projectId) throw new InstanceNotFound(uuid);
      checkGuard(guarded(row), transition, action.startsWith("reboot") ? "reboot" : action, ctx);
      if (work.quota && (work.quota.cores > 0 || work.quota.ram > 0)) {
        // nova holds an upsize to the quotas of the server's project and user
        await this.ports.quota.checkInstances(
          trx,
          row.project_id,
          { instances: 0, ...work.quota },
          row.user_id,
        );
      }
      const applied = await this.instances.update(
        trx,
        uuid,
        { task_state: transition.taskState, ...work.changes },
        { taskState: row.task_state, notDeleted: true },
      );
      if (!applied) throw new Conflict(`Instance ${uuid} changed state meanwhile; try again.`);
      if (work.metadata !== undefined) await this.instances.replaceMetadata(trx, uuid, work.metadata);
      const actionId = await this.actions.start(trx, {
        instanceUuid: uuid,
        action: recordAs,
        requestId: ctx.requestId,
        projectId: row.project_id,
        userId: ctx.userId,
      });
      await this.engine.enqueue(trx, {
        kind: work.kind,
        instanceUuid: uuid,
        actionId,
        host: row.host,
        payload: work.payload,
        secrets: work.secrets,
      });
    });
    this.engine.wake();
  }

  /** An action that completes within the request (lock, unlock, resetState): recorded as started and finished. */
  async #recordInstant(
    trx: Trx,
    ctx: AuthContext,
    instance: Instance,
    action: string,
    event?: string,
  ): Promise<void> {
    const id = await this.actions.start(trx, {
      instanceUuid: instance.uuid,
      action,
      requestId: ctx.requestId,
      projectId: instance.projectId,
      userId: ctx.userId,
    });
    if (event) await this.actions.recordEvent(trx, id, event);
    await this.actions.finish(id, null, trx);
  }
}
