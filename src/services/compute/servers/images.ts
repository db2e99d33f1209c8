import type { AuthContext } from "../../context.js";
import { Conflict, Forbidden, InvalidInput, QuotaExceeded } from "../../errors.js";
import { VmState } from "../vm-states.js";
import type { ServerOperations } from "./operations.js";

export interface UnshelveRequest {
  /** 2.77+: the zone to unshelve in; null (2.91+) unpins the server; absent keeps its pin. */
  availabilityZone?: string | null;
  /** 2.91+: the host to unshelve on (admin only). */
  host?: string;
}

export interface BackupRequest {
  name: string;
  backupType: string;
  rotation: number;
  metadata?: Record<string, string>;
  /** Before 2.39 the metadata counts against the metadata_items quota. */
  checkMetadataQuota: boolean;
}

/** Actions that write a server into an image: snapshot, backup, shelve, and unshelve from it. */
export class ServerImages {
  constructor(private readonly ops: ServerOperations) {}

  /** Starts a snapshot into a new image; returns the image id at once (the upload follows). */
  async createImage(
    ctx: AuthContext,
    uuid: string,
    name: string,
    metadata: Record<string, string>,
  ): Promise<string> {
    const instance = await this.ops.get(ctx, uuid);
    await this.ops.guard(ctx, uuid, "createImage");
    const imageId = await this.ops.ports.images.createSnapshot(ctx, {
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
    await this.ops.acceptIntoImage(imageId, () =>
      this.ops.accept(ctx, uuid, "createImage", "createImage", { kind: "snapshot", payload: { imageId } }),
    );
    return imageId;
  }

  /**
   * Starts a backup into a new image (image_type backup) and returns its id at once; when
   * it is uploaded, backups of the same type beyond `rotation` are deleted.
   */
  async createBackup(ctx: AuthContext, uuid: string, req: BackupRequest): Promise<string> {
    const instance = await this.ops.get(ctx, uuid);
    const metadata = req.metadata ?? {};
    if (req.checkMetadataQuota && Object.keys(metadata).length > 0) {
      await this.ops.ports.quota
        .checkMetadataItems(ctx.projectId ?? instance.projectId, Object.keys(metadata).length, ctx.userId)
        .catch((error: unknown) => {
          if (error instanceof QuotaExceeded) throw new Forbidden("Image metadata limit exceeded");
          throw error;
        });
    }
    await this.ops.guard(ctx, uuid, "createBackup");
    const imageId = await this.ops.ports.images.createSnapshot(ctx, {
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
    await this.ops.acceptIntoImage(imageId, () =>
      this.ops.accept(ctx, uuid, "createBackup", "createBackup", {
        kind: "backup",
        payload: { imageId, backupType: req.backupType, rotation: req.rotation, requester: ctx },
      }),
    );
    return imageId;
  }

  /** Snapshots the server into `<name>-shelved` and takes it off its host (see tasks/shelve.ts). */
  async shelve(ctx: AuthContext, uuid: string): Promise<void> {
    const instance = await this.ops.get(ctx, uuid);
    await this.ops.guard(ctx, uuid, "shelve");
    const imageId = await this.ops.ports.images.createSnapshot(ctx, {
      name: `${instance.name}-shelved`,
      instanceUuid: uuid,
      properties: { instance_uuid: uuid, image_type: "snapshot", base_image_ref: instance.imageRef },
    });
    await this.ops.acceptIntoImage(imageId, () =>
      this.ops.accept(ctx, uuid, "shelve", "shelve", { kind: "shelve", payload: { imageId } }),
    );
  }

  async shelveOffload(ctx: AuthContext, uuid: string): Promise<void> {
    await this.ops.accept(ctx, uuid, "shelveOffload", "shelveOffload", { kind: "shelve_offload" });
  }

  /**
   * Restores a shelved server. A zone (2.77) or host (2.91) may only be asked for when it is
   * offloaded; `availabilityZone` null unpins it, absent leaves its pin as it was.
   */
  async unshelve(ctx: AuthContext, uuid: string, req: UnshelveRequest = {}): Promise<void> {
    const instance = await this.ops.get(ctx, uuid);
    await this.ops.guard(ctx, uuid, "unshelve");
    const zonePassed = req.availabilityZone !== undefined;
    if ((zonePassed || req.host !== undefined) && instance.vmState !== VmState.SHELVED_OFFLOADED) {
      throw new Conflict(
        `Specifying an availability zone or a host when unshelving server "${uuid}" with status "${instance.vmState}" is not supported. The server status must be SHELVED_OFFLOADED.`,
      );
    }
    const zoneOf = await this.ops.ports.zones.of(this.ops.drivers.hosts);
    if (req.availabilityZone && !(await this.ops.zones()).has(req.availabilityZone)) {
      throw new InvalidInput("The requested availability zone is not available");
    }
    const zone = zonePassed ? (req.availabilityZone ?? null) : instance.pinnedAvailabilityZone;
    if (req.host !== undefined) {
      // the edge has checked os-shelve:unshelve_to_host (admin) before any of this
      if (!this.ops.drivers.hosts.includes(req.host)) {
        throw new InvalidInput(`Compute host ${req.host} could not be found.`);
      }
      if (zone !== null && zoneOf.get(req.host) !== zone) {
        throw new Conflict(`Host "${req.host}" is not in the availability zone "${zone}".`);
      }
    }
    await this.ops.accept(ctx, uuid, "unshelve", "unshelve", {
      kind: "unshelve",
      changes: zonePassed ? { pinned_availability_zone: zone } : {},
      payload: { host: req.host ?? null, requester: ctx },
    });
  }
}
