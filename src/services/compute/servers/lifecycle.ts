import { randomBytes, randomUUID } from "node:crypto";
import type { Instance } from "../../../store/instance-record.js";
import type { InstanceFilter } from "../../../store/instance-repository.js";
import type { InstanceRow, InstanceUpdate } from "../../../store/schema.js";
import { PowerState } from "../../../virt/power-state.js";
import type { AuthContext } from "../../context.js";
import { Conflict, Forbidden, InvalidInput, NotFound, QuotaExceeded } from "../../errors.js";
import type { RequestedNetworks } from "../../network/instance-networking.js";
import { compactIPv6 } from "../access-ip.js";
import type { FlavorInfo } from "../ports.js";
import { NOT_ENOUGH_HOSTS, NoValidHost } from "../tasks/conductor.js";
import { VmState } from "../vm-states.js";
import { checkDiskConfig, type DiskConfig, inheritedDiskConfig } from "./disk-config.js";
import { flavorSnapshot, generatePassword, type ServerOperations, type Trx } from "./operations.js";

export interface CreateServerRequest {
  diskConfig?: DiskConfig;
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

export interface ServerUpdate {
  diskConfig?: DiskConfig;
  name?: string;
  description?: string | null;
  accessIPv4?: string;
  accessIPv6?: string;
  hostname?: string;
  /** 2.104: null unpins; the server's current zone pins it there; any other zone is a conflict. */
  pinnedAvailabilityZone?: string | null;
}

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

/** A server's life: listing, creating (quota, image, zone, group placement), renaming (its end: deletion.ts). */
export class ServerLifecycle {
  constructor(private readonly ops: ServerOperations) {}

  /** Lists with a filter the HTTP layer built; `marker` is a server id the caller can see. */
  async list(ctx: AuthContext, filter: Omit<InstanceFilter, "marker">, marker?: string): Promise<Instance[]> {
    let markerRow: InstanceRow | undefined;
    if (marker !== undefined) {
      markerRow = await this.ops.instances.row(this.ops.db, marker);
      if (!markerRow || (!ctx.isAdmin && markerRow.project_id !== ctx.projectId)) {
        throw new InvalidInput(`marker [${marker}] not found`);
      }
    }
    return this.ops.instances.list({ ...filter, marker: markerRow });
  }

  async create(ctx: AuthContext, req: CreateServerRequest): Promise<CreateServerResult> {
    const projectId = ctx.projectId;
    if (!projectId) throw new Forbidden("A project-scoped token is required.");
    const minCount = req.minCount ?? 1;
    const maxCount = req.maxCount ?? minCount;
    if (minCount > maxCount) throw new InvalidInput("min_count must be <= max_count");

    const flavor = await this.ops.ports.flavors.get(ctx, req.flavorRef).catch((error: unknown) => {
      if (error instanceof NotFound) throw new InvalidInput(`Flavor ${req.flavorRef} could not be found.`);
      throw error;
    });
    const imageRef = this.#bootImage(req);
    const image = await this.ops.ports.images.get(ctx, imageRef).catch((error: unknown) => {
      if (error instanceof NotFound) throw new InvalidInput("Can not find requested image");
      throw error;
    });
    if (image.status !== "active") throw new InvalidInput(`Image ${image.id} is not active.`);
    if (flavor.root_gb > 0 && image.minDisk > flavor.root_gb) {
      throw new InvalidInput("Flavor's disk is too small for requested image.");
    }
    if (image.minRam > flavor.memory_mb)
      throw new InvalidInput("Flavor's memory is too small for requested image.");
    checkDiskConfig(req.diskConfig, image.properties, image.id);

    let keyData: string | null = null;
    if (req.keyName !== undefined) {
      const keypair = await this.ops.ports.keypairs.find(ctx.userId, req.keyName);
      if (!keypair) throw new InvalidInput("Invalid key_name provided.");
      keyData = keypair.publicKey;
    }
    const az = req.availabilityZone?.split(":")[0] || null;
    if (az !== null && !(await this.ops.zones()).has(az)) {
      throw new InvalidInput(`The requested availability zone is not available`);
    }
    if (req.host !== undefined && !this.ops.drivers.hosts.includes(req.host)) {
      throw new InvalidInput(`Compute host ${req.host} could not be found.`);
    }
    const securityGroups = await this.ops.network.securityGroups.forCreate(ctx, req.securityGroups);
    const nics = await this.ops.network.plan(ctx, req.networks, maxCount);
    await this.ops.ports.quota.checkMetadataItems(
      projectId,
      Object.keys(req.metadata ?? {}).length,
      ctx.userId,
    );
    const groupUuid = await this.ops.ports.serverGroups.hintedGroup(ctx, req.schedulerHints);

    const adminPass = req.adminPass ?? generatePassword();
    const reservationId = `r-${randomBytes(4).toString("hex").slice(0, 8)}`;
    const snapshot = flavorSnapshot(flavor);
    const created: string[] = [];

    await this.ops.db.transaction().execute(async (trx) => {
      const count = await this.#fitQuota(trx, projectId, ctx.userId, flavor, minCount, maxCount);
      // a group's policy places its servers; null: no host fits (nova's NoValidHost)
      const hosts =
        groupUuid === undefined
          ? undefined
          : await this.ops.ports.serverGroups.place(
              trx,
              ctx,
              groupUuid,
              count,
              req.host ? [req.host] : this.ops.drivers.hosts,
            );
      const now = new Date().toISOString();
      for (let i = 0; i < count; i++) {
        const uuid = randomUUID();
        const host = hosts?.[i];
        const name = count > 1 ? `${req.name}-${i + 1}` : req.name;
        await this.ops.instances.insert(
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
            auto_disk_config: inheritedDiskConfig(req.diskConfig, image.properties),
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
        const actionId = await this.ops.actions.start(trx, {
          instanceUuid: uuid,
          action: "create",
          requestId: ctx.requestId,
          projectId,
          userId: ctx.userId,
        });
        if (host === null) {
          // nova buries a server its scheduler placed nowhere: ERROR at once, the create failed
          const { message } = new NoValidHost(NOT_ENOUGH_HOSTS);
          await this.ops.instances.setFault(trx, uuid, 500, message, `NoValidHost: ${message}`);
          await this.ops.actions.finish(actionId, "Error", trx);
        } else {
          await this.ops.network.allocate(trx, ctx, { instanceUuid: uuid, zone: az }, nics, {
            securityGroups,
          });
          await this.ops.engine.enqueue(trx, {
            kind: "build",
            instanceUuid: uuid,
            actionId,
            payload: { host: host ?? req.host ?? null },
          });
        }
        created.push(uuid);
      }
      if (groupUuid !== undefined) await this.ops.ports.serverGroups.addMembers(trx, groupUuid, created);
    });
    this.ops.engine.wake();
    // one batch read (a multi-create of 1,000 servers read them one by one before)
    const instances = await this.ops.instances.list({
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
        await this.ops.ports.quota.checkInstances(
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

  async update(ctx: AuthContext, uuid: string, changes: ServerUpdate): Promise<Instance> {
    const instance = await this.ops.get(ctx, uuid);
    const set: InstanceUpdate = {};
    if (changes.name !== undefined) set.display_name = changes.name;
    if (changes.description !== undefined) set.display_description = changes.description;
    if (changes.accessIPv4 !== undefined) set.access_ip_v4 = changes.accessIPv4;
    if (changes.accessIPv6 !== undefined) set.access_ip_v6 = compactIPv6(changes.accessIPv6);
    if (changes.hostname !== undefined) set.hostname = changes.hostname;
    if (changes.diskConfig !== undefined) set.auto_disk_config = changes.diskConfig === "AUTO" ? 1 : 0;
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
    await this.ops.instances.update(this.ops.db, instance.uuid, set);
    return this.ops.get(ctx, uuid);
  }
}
