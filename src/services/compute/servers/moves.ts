import { randomUUID } from "node:crypto";
import type { Instance } from "../../../store/instance-record.js";
import type { InstanceUpdate } from "../../../store/schema.js";
import type { AuthContext } from "../../context.js";
import { Conflict, InvalidInput, NotFound } from "../../errors.js";
import { compactIPv6 } from "../access-ip.js";
import { MigrationType, requesterOf } from "../migration-records.js";
import type { LiveMigratePayload } from "../tasks/live-migrate.js";
import { VmState } from "../vm-states.js";
import { awaitConductor } from "./conductor-wait.js";
import { checkDiskConfig, type DiskConfig, inheritedDiskConfig } from "./disk-config.js";
import { flavorSnapshot, generatePassword, type ServerOperations } from "./operations.js";

export interface RebuildRequest {
  diskConfig?: DiskConfig;
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

export interface LiveMigrationRequest {
  host: string | null;
  /** 2.30-2.67: false asks the scheduler to check the named host; null before 2.30. */
  force: boolean | null;
  /** Before 2.34 the API answers the conductor's refusal itself (400). */
  waitForChecks: boolean;
  /** As the request gave it: true, false, or "auto" (2.25). */
  blockMigration?: boolean | "auto";
}

export interface EvacuateRequest {
  /** The host to rebuild the server on; null lets the scheduler pick. */
  host: string | null;
  /** The named host bypasses the scheduler (before 2.29 always, from 2.29 with force). */
  forced: boolean;
  /** 2.95: the server arrives stopped, whatever its state before. */
  stopped: boolean;
}

/** Actions that change what a server runs as or where: resize (confirm, revert), rebuild, migrations. */
export class ServerMoves {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ops: ServerOperations,
    private readonly options: { allowResizeToSameHost: boolean; resizeConfirmWindowSeconds: number },
  ) {}

  /**
   * nova's _poll_unconfirmed_resizes: each resize or cold migration onto a host this
   * process runs that has waited in VERIFY_RESIZE (its migration finished) for longer
   * than resize_confirm_window is confirmed, recorded as a confirmResize action of the
   * server's owner (nova's periodic task acts with an admin context that names no user).
   * A migration whose server is in ERROR, or no longer waits, goes to error; one whose
   * server is being deleted or still finishing is left for the next round.
   */
  async confirmWaiting(now: Date = new Date()): Promise<number> {
    const window = this.options.resizeConfirmWindowSeconds;
    if (window <= 0) return 0;
    const hosts = new Set(this.ops.drivers.hosts);
    const waiting = await this.ops.migrations.list({
      statuses: ["finished"],
      changesBefore: new Date(now.getTime() - window * 1000).toISOString(),
      order: "id",
    });
    let confirmed = 0;
    for (const migration of waiting.filter((m) => m.dest_compute !== null && hosts.has(m.dest_compute))) {
      const row = await this.ops.instances.row(this.ops.db, migration.instance_uuid);
      if (row?.deleted !== 0) continue;
      if (["deleting", "soft-deleting", "resize_finish"].includes(row.task_state ?? "")) continue;
      if (row.vm_state !== VmState.RESIZED || row.task_state !== null) {
        await this.ops.migrations.setStatus(migration.id, "error");
        continue;
      }
      const owner: AuthContext = {
        userId: row.user_id,
        userName: "",
        projectId: row.project_id,
        projectName: null,
        roles: ["admin"],
        isAdmin: true,
        requestId: `req-${randomUUID()}`,
      };
      await this.confirmResize(owner, row.uuid).then(
        () => confirmed++,
        // a confirm or revert the owner asked for meanwhile won the race
        (error: unknown) => {
          if (!(error instanceof Conflict)) throw error;
        },
      );
    }
    return confirmed;
  }

  /** Runs `confirmWaiting` every min(window, 60) s until stopped; nothing runs without a window. */
  startConfirming(onError: (error: unknown) => void): void {
    const window = this.options.resizeConfirmWindowSeconds;
    if (window <= 0) return;
    this.#timer = setInterval(() => this.confirmWaiting().catch(onError), Math.min(window, 60) * 1000);
    this.#timer.unref();
  }

  stopConfirming(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * A smaller root disk is accepted here, as nova's API accepts it: the host refuses it
   * (see tasks/resize.ts). A disk of 0 is refused at once: nimbus has no volume-backed servers.
   */
  async resize(ctx: AuthContext, uuid: string, flavorRef: string, diskConfig?: DiskConfig): Promise<void> {
    const instance = await this.ops.get(ctx, uuid);
    // nova checks the state, then the disk config, before it looks at the flavor
    await this.ops.guard(ctx, uuid, "resize");
    checkDiskConfig(diskConfig, instance.imageProperties, instance.imageRef);
    const flavor = await this.ops.ports.flavors.get(ctx, flavorRef).catch((error: unknown) => {
      if (error instanceof NotFound) throw new InvalidInput(`Unable to find flavor ${flavorRef}`);
      throw error;
    });
    if (flavor.root_gb === 0 && instance.flavor.root_gb !== 0) {
      throw new InvalidInput(
        "Server disk was unable to be resized because: Resize to zero disk flavor is not allowed.",
      );
    }
    if (flavor.flavorid === instance.flavor.flavorid) {
      throw new InvalidInput("When resizing, instances must change flavor!");
    }
    const snapshot = flavorSnapshot(flavor);
    await this.ops.accept(ctx, uuid, "resize", "resize", {
      kind: "resize",
      // nova's API decides it (its ignore_hosts): the scheduler then has the source or not
      payload: { requester: requesterOf(ctx), sameHost: this.options.allowResizeToSameHost },
      changes: {
        old_flavor: JSON.stringify(instance.flavor),
        new_flavor: JSON.stringify(snapshot),
        vcpus: Math.max(flavor.vcpus, instance.flavor.vcpus),
        memory_mb: Math.max(flavor.memory_mb, instance.flavor.memory_mb),
        // nova: `auto_disk_config or False`, so a resize without it is MANUAL
        auto_disk_config: diskConfig === "AUTO" ? 1 : 0,
      },
      quota: {
        instances: 0,
        cores: Math.max(0, flavor.vcpus - instance.flavor.vcpus),
        ram: Math.max(0, flavor.memory_mb - instance.flavor.memory_mb),
      },
    });
  }

  async confirmResize(ctx: AuthContext, uuid: string): Promise<void> {
    await this.ops.accept(ctx, uuid, "confirmResize", "confirmResize", { kind: "confirm_resize" });
  }

  async revertResize(ctx: AuthContext, uuid: string): Promise<void> {
    await this.ops.accept(ctx, uuid, "revertResize", "revertResize", { kind: "revert_resize" });
  }

  async rebuild(
    ctx: AuthContext,
    uuid: string,
    req: RebuildRequest,
  ): Promise<{ instance: Instance; adminPass: string }> {
    const instance = await this.ops.get(ctx, uuid);
    const image = await this.ops.ports.images.get(ctx, req.imageRef).catch((error: unknown) => {
      if (error instanceof NotFound) throw new InvalidInput("Can not find requested image");
      throw error;
    });
    if (image.status !== "active") throw new InvalidInput(`Image ${image.id} is not active.`);
    if (image.minRam > instance.flavor.memory_mb) {
      throw new InvalidInput("Flavor's memory is too small for requested image.");
    }
    checkDiskConfig(req.diskConfig, image.properties, image.id);
    const changes: InstanceUpdate = {
      image_ref: image.id,
      image_properties: JSON.stringify(image.properties),
      // the new image may decide it, as at create
      auto_disk_config: inheritedDiskConfig(req.diskConfig, image.properties),
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
        const keypair = await this.ops.ports.keypairs.find(ctx.userId, req.keyName);
        if (!keypair) throw new InvalidInput("Invalid key_name provided.");
        changes.key_name = keypair.name;
        changes.key_data = keypair.publicKey;
      }
    }
    if (req.metadata !== undefined) {
      await this.ops.ports.quota.checkMetadataItems(
        instance.projectId,
        Object.keys(req.metadata).length,
        ctx.userId,
      );
    }
    await this.ops.accept(ctx, uuid, "rebuild", "rebuild", {
      kind: "rebuild",
      changes,
      metadata: req.metadata,
    });
    return { instance: await this.ops.get(ctx, uuid), adminPass: req.adminPass ?? generatePassword() };
  }

  /**
   * Cold migration: to a named host (2.56) or one the scheduler picks. The server's own
   * host is refused at once; with no other host the conductor fails it after the 202.
   */
  async migrate(ctx: AuthContext, uuid: string, host: string | null): Promise<void> {
    const instance = await this.ops.get(ctx, uuid);
    await this.ops.guard(ctx, uuid, "migrate");
    if (host !== null) {
      if (host === instance.host)
        throw new InvalidInput("Cannot migrate to the host where the server exists.");
      if (!this.ops.drivers.hosts.includes(host))
        throw new InvalidInput(`Compute host ${host} could not be found.`);
    }
    await this.ops.accept(ctx, uuid, "migrate", "migrate", {
      kind: "cold_migrate",
      payload: { host, requester: requesterOf(ctx) },
      // a migration is nova's resize without a flavor, and it too leaves the disk MANUAL
      changes: { auto_disk_config: 0 },
    });
  }

  /**
   * Live migration (tasks/live-migrate.ts). Before 2.34 the API waits for the conductor's
   * checks and answers a refusal with 400 (`waitForChecks`); from 2.34 it answers 202 and
   * a refusal puts the server back as it was.
   */
  async liveMigrate(ctx: AuthContext, uuid: string, req: LiveMigrationRequest): Promise<void> {
    await this.ops.get(ctx, uuid);
    await this.ops.guard(ctx, uuid, "os-migrateLive");
    if (req.host !== null && !this.ops.drivers.hosts.includes(req.host)) {
      throw new InvalidInput(`Compute host ${req.host} could not be found.`);
    }
    // nova forces a named host unless force is false (2.30+): the scheduler is bypassed
    const payload: LiveMigratePayload = {
      host: req.host,
      forced: req.host !== null && req.force !== false,
      blockMigration: req.blockMigration,
      requester: requesterOf(ctx),
      sync: req.waitForChecks,
    };
    await this.ops.accept(ctx, uuid, "os-migrateLive", "live-migration", { kind: "live_migrate", payload });
    if (req.waitForChecks) await awaitConductor(this.ops, ctx, uuid, "conductor_migrate_server");
  }

  /**
   * Rebuilds a server whose host has failed on another (admin). nova refuses a named host
   * that does not exist (404) or is the server's own (400), and a server whose host is
   * still up (400); otherwise it answers 200 and the conductor looks for a host — with
   * none but the failed one, the server goes to ERROR and its evacuation migration to error.
   */
  async evacuate(ctx: AuthContext, uuid: string, req: EvacuateRequest): Promise<void> {
    const instance = await this.ops.get(ctx, uuid);
    if (req.host !== null && !this.ops.drivers.hosts.includes(req.host)) {
      throw new NotFound(`Compute host ${req.host} not found.`);
    }
    if (instance.host === req.host) throw new InvalidInput("The target host can't be the same one.");
    await this.ops.guard(ctx, uuid, "evacuate");
    if (instance.host !== null && (await this.ops.ports.hosts.computeUp(instance.host))) {
      throw new InvalidInput(`Compute service of ${instance.host} is still in use.`);
    }
    const destination = req.host === null ? undefined : { compute: req.host, node: null, host: null };
    await this.ops.migrations.begin(instance, MigrationType.EVACUATION, requesterOf(ctx), destination);
    try {
      await this.ops.accept(ctx, uuid, "evacuate", "evacuate", {
        kind: "evacuate",
        payload: { host: req.host, forced: req.forced, stopped: req.stopped },
      });
    } catch (error) {
      await this.ops.migrations.advance(uuid, "error");
      throw error;
    }
  }
}
