import { randomUUID } from "node:crypto";
import { open } from "node:fs/promises";
import { nowIso } from "../../clock.js";
import type { Db } from "../../store/database.js";
import { type ImageRecord, ImageRepository, type ImageWhere } from "../../store/image-repository.js";
import type { AuthContext } from "../context.js";
import { Conflict, Forbidden, InvalidInput } from "../errors.js";
import {
  BOOTSTRAP_IMAGE_ID,
  BOOTSTRAP_IMAGE_NAME,
  BOOTSTRAP_IMAGE_PROPERTIES,
  bootstrapImageData,
} from "./bootstrap-image.js";
import { ImageGone, ImageLimitExceeded, imageNotFound } from "./errors.js";
import { type Image, type ImageVisibility, OS_HASH_ALGO, TAG_QUOTA, toImage } from "./image.js";
import { ImageDataStore, type StagedData } from "./image-data-store.js";
import { canCreate, canDownload, canList, canModify, canRead } from "./image-policy.js";
import { type ImageListQuery, page } from "./image-query.js";
import {
  enforceImageCount,
  enforceImageSize,
  type ImageLimits,
  quotaLimited,
  remainingBytes,
  storageQuotaFull,
  UNLIMITED_IMAGES,
} from "./image-quota.js";
import {
  applyChange,
  checkDbIntegers,
  checkPropertyNames,
  checkQuotas,
  checkVisibility,
  type ImageChange,
  nonNegative,
  uniqueTags,
} from "./image-rules.js";

export interface ImageServiceOptions {
  /** The data directory; image data lives in its `images/` folder. */
  dataDir: string;
  /** Largest image data accepted, in bytes (Glance's `image_size_cap`, 1 TiB by default). */
  maxImageBytes?: number;
  /** Every project's image_size_total and image_count_total; unlimited by default. */
  limits?: ImageLimits;
  /** Free space uploads must leave on the data directory's filesystem, in bytes (default 64 MiB). */
  freeDiskReserveBytes?: number;
  /** The clock (UTC ISO 8601); tests pin it. */
  now?: () => string;
}

/** What `POST /v2/images` may set. Extra properties are Glance's "additional properties". */
export interface CreateImageSpec {
  id?: string;
  name?: string | null;
  visibility?: ImageVisibility;
  protected?: boolean;
  osHidden?: boolean;
  owner?: string | null;
  containerFormat?: string | null;
  diskFormat?: string | null;
  minDisk?: number;
  minRam?: number;
  tags?: string[];
  properties?: Record<string, string | null>;
}

/** Image data as it arrives: a whole buffer, or a stream of chunks (an HTTP request, a file). */
export type ImageDataSource = Uint8Array | AsyncIterable<Uint8Array>;

/** A server snapshot's image (compute's createImage). */
export interface SnapshotSpec {
  name: string;
  instanceUuid: string;
  properties: Record<string, string>;
  diskFormat?: string;
  containerFormat?: string;
  minDisk?: number;
  minRam?: number;
  /** A file holding the snapshot's data already: the image is made active from it at once. */
  sourceDataPath?: string;
}

/** An image's data for download; `path` is null when the image has none (Glance answers 204). */
export interface ImageDataFile {
  image: Image;
  path: string | null;
  size: number;
}

const DEFAULT_MAX_IMAGE_BYTES = 1024 ** 4;
const DEFAULT_FREE_DISK_RESERVE_BYTES = 64 * 1024 ** 2;

/** Glance's `[DEFAULT] image_size_cap`-style limits and the v2 image semantics: the image domain. */
export class ImageService {
  readonly #repo: ImageRepository;
  readonly #data: ImageDataStore;
  readonly #maxImageBytes: number;
  readonly #limits: ImageLimits;
  readonly #reserveBytes: number;
  readonly #now: () => string;

  constructor(db: Db, options: ImageServiceOptions) {
    this.#repo = new ImageRepository(db);
    this.#data = new ImageDataStore(options.dataDir);
    this.#maxImageBytes = options.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES;
    this.#limits = options.limits ?? UNLIMITED_IMAGES;
    this.#reserveBytes = options.freeDiskReserveBytes ?? DEFAULT_FREE_DISK_RESERVE_BYTES;
    this.#now = options.now ?? nowIso;
  }

  /** A page of the images the caller may see, after Glance's filters, sort and marker. */
  async list(
    ctx: AuthContext,
    query: ImageListQuery = {},
  ): Promise<{ images: Image[]; nextMarker?: string }> {
    if (!canList(ctx)) throw new Forbidden("You are not authorized to complete get_images action.");
    let marker: Image | undefined;
    if (query.marker !== undefined) {
      const found = await this.#repo.find(query.marker);
      if (!found || !canRead(ctx, found)) throw new InvalidInput(`No image found with ID ${query.marker}`);
      marker = toImage(found);
    }
    const where: ImageWhere = {
      readableBy: ctx.isAdmin ? undefined : { projectId: ctx.projectId },
      // with a visibility, only that one; without, community images only when they are the caller's
      visibility: query.visibility !== undefined && query.visibility !== "all" ? query.visibility : undefined,
      hideCommunityNotOwnedBy: query.visibility === undefined ? { projectId: ctx.projectId } : undefined,
      statusNot: ["killed", "deleted"],
      ids: query.ids,
      names: query.names,
      statuses: query.statuses,
      containerFormats: query.containerFormats,
      diskFormats: query.diskFormats,
      owner: query.owner,
      osHidden: query.osHidden ?? false,
      protected: query.protected,
      checksum: query.checksum,
      osHashValue: query.osHashValue,
    };
    const records = await this.#repo.list(where);
    return page(records.map(toImage), query, marker);
  }

  /**
   * An image the caller may see, whatever its status (compute checks that it is active).
   * Throws ImageNotFound when there is none or it is not visible to the caller.
   */
  async get(ctx: AuthContext, id: string): Promise<Image> {
    const record = await this.#repo.find(id);
    if (!record || !canRead(ctx, record)) throw imageNotFound(id);
    return toImage(record);
  }

  /** A new queued image owned by the caller's project (or by `owner`, for an admin). */
  async create(ctx: AuthContext, spec: CreateImageSpec): Promise<Image> {
    const owner = spec.owner !== undefined ? spec.owner : ctx.projectId;
    if (!canCreate(ctx, owner)) {
      if (owner !== ctx.projectId) {
        throw new Forbidden(`You are not permitted to create images owned by '${owner}'.`);
      }
      throw new Forbidden("You are not authorized to complete add_image action.");
    }
    const visibility = spec.visibility ?? "shared";
    checkVisibility(ctx, visibility);
    const properties = { ...(spec.properties ?? {}) };
    checkPropertyNames(Object.keys(properties));
    const tags = uniqueTags(spec.tags ?? []);
    checkQuotas(properties, tags);
    const record = this.#queued({
      id: spec.id ?? randomUUID(),
      name: spec.name ?? null,
      visibility,
      owner,
      containerFormat: spec.containerFormat ?? null,
      diskFormat: spec.diskFormat ?? null,
      minDisk: nonNegative("min_disk", spec.minDisk ?? 0),
      minRam: nonNegative("min_ram", spec.minRam ?? 0),
      protected: spec.protected ?? false,
      osHidden: spec.osHidden ?? false,
      tags,
      properties,
    });
    checkDbIntegers(record);
    if (!(await this.#insertCounted(record))) throw new Conflict(`Image ID ${record.id} already exists!`);
    return toImage(record);
  }

  /**
   * Inserts a new image, within its owner's image_count_total: the count and the insert
   * share a transaction that holds the owner's lock row, so concurrent creates cannot
   * overshoot. False when the id is taken.
   */
  async #insertCounted(record: ImageRecord): Promise<boolean> {
    const owner = record.owner;
    if (this.#limits.imageCountTotal < 0 || owner === null) return this.#repo.insert(record);
    return this.#repo.transaction(async (trx) => {
      await this.#repo.lockOwner(trx, owner);
      enforceImageCount(this.#limits, owner, await this.#repo.ownerUsage(owner, trx));
      return this.#repo.insert(record, trx);
    });
  }

  /** A new image record with no data yet: queued, no size or checksums, created now. */
  #queued(
    fields: Omit<
      ImageRecord,
      | "status"
      | "size"
      | "virtualSize"
      | "checksum"
      | "osHashAlgo"
      | "osHashValue"
      | "createdAt"
      | "updatedAt"
    >,
  ): ImageRecord {
    const now = this.#now();
    return {
      ...fields,
      status: "queued",
      size: null,
      virtualSize: null,
      checksum: null,
      osHashAlgo: null,
      osHashValue: null,
      createdAt: now,
      updatedAt: now,
    };
  }

  /** Applies a PATCH's operations in order, all or nothing. */
  async update(ctx: AuthContext, id: string, changes: ImageChange[]): Promise<Image> {
    return this.#repo.transaction(async (trx) => {
      const record = await this.#repo.lock(trx, id);
      if (!record || !canRead(ctx, record)) throw imageNotFound(id);
      if (changes.length === 0) return toImage(record);
      const draft: ImageRecord = { ...record, tags: [...record.tags], properties: { ...record.properties } };
      for (const change of changes) applyChange(ctx, draft, change);
      checkDbIntegers(draft);
      checkQuotas(draft.properties, draft.tags);
      const { id: _id, createdAt: _createdAt, ...fields } = draft;
      fields.updatedAt = laterThan(this.#now(), record.updatedAt);
      await this.#repo.update(id, fields, { executor: trx });
      return toImage({ ...draft, updatedAt: fields.updatedAt });
    });
  }

  /** Deletes an image and its data; a protected image is refused. */
  async delete(ctx: AuthContext, id: string): Promise<void> {
    await this.#repo.transaction(async (trx) => {
      const record = await this.#repo.lock(trx, id);
      if (!record || !canRead(ctx, record)) throw imageNotFound(id, `Failed to find image ${id} to delete`);
      if (!canModify(ctx, record))
        throw new Forbidden("You are not authorized to complete delete_image action.");
      if (record.protected) throw new Forbidden(`Image ${id} is protected and cannot be deleted.`);
      await this.#repo.delete(id, trx);
    });
    await this.#data.remove(id);
  }

  async addTag(ctx: AuthContext, id: string, tag: string): Promise<void> {
    await this.#changeTags(ctx, id, "update", (tags) => uniqueTags([...tags, tag]));
  }

  /** Removes a tag; NotFound when the image does not carry it. */
  async removeTag(ctx: AuthContext, id: string, tag: string): Promise<void> {
    await this.#changeTags(ctx, id, "delete", (tags) => {
      if (!tags.includes(tag)) throw imageNotFound(id, "The resource could not be found.");
      return tags.filter((t) => t !== tag);
    });
  }

  async #changeTags(
    ctx: AuthContext,
    id: string,
    verb: "update" | "delete",
    change: (tags: string[]) => string[],
  ): Promise<void> {
    await this.#repo.transaction(async (trx) => {
      const record = await this.#repo.lock(trx, id);
      if (!record || !canRead(ctx, record)) throw imageNotFound(id, `Image ${id} not found.`);
      if (!canModify(ctx, record)) throw new Forbidden(`Not allowed to ${verb} tags for image ${id}.`);
      const tags = change(record.tags);
      if (tags.length > TAG_QUOTA) {
        throw new ImageLimitExceeded(
          `Image tag limit exceeded for image ${id}: The limit has been exceeded on the number of allowed image tags. Attempted: ${tags.length}, Maximum: ${TAG_QUOTA}`,
        );
      }
      await this.#repo.update(
        id,
        { tags, updatedAt: laterThan(this.#now(), record.updatedAt) },
        { executor: trx },
      );
    });
  }

  /**
   * Receives an image's data (`PUT /v2/images/{id}/file`): queued → saving → active, with
   * size, md5 checksum and sha512 hash. Only a queued image takes data (Conflict otherwise);
   * on failure the image goes back to queued. `expectedSize` is x-openstack-image-size,
   * `declaredSize` the request's Content-Length: data that cannot fit the owner's
   * image_size_total or the free disk is refused before it is read.
   */
  async upload(
    ctx: AuthContext,
    id: string,
    source: ImageDataSource,
    options: { expectedSize?: number; declaredSize?: number } = {},
  ): Promise<Image> {
    const record = await this.#repo.find(id);
    if (!record || !canRead(ctx, record)) throw imageNotFound(id);
    if (!canModify(ctx, record)) throw new Forbidden(`Not allowed to upload image data for image ${id}`);
    if (record.status !== "queued") throw statusConflict(record.status, "saving");
    const missing = (["disk_format", "container_format"] as const).filter((key) =>
      key === "disk_format" ? !record.diskFormat : !record.containerFormat,
    );
    if (missing.length === 1)
      throw new InvalidInput(`Property ${missing[0]} must be set prior to saving data.`);
    if (missing.length > 1)
      throw new InvalidInput(`Properties ${missing.join(", ")} must be set prior to saving data.`);
    if (record.owner !== null && this.#limits.imageSizeTotalMiB >= 0) {
      const usage = await this.#repo.ownerUsage(record.owner);
      enforceImageSize(this.#limits, record.owner, usage, options.declaredSize);
    }
    await this.#claim(id, ["queued"]);
    return this.#receive(id, source, options);
  }

  /**
   * The data file of an image the caller may download (`GET /v2/images/{id}/file`).
   * A deactivated image's data is for admins only.
   */
  async openData(ctx: AuthContext, id: string): Promise<ImageDataFile> {
    const record = await this.#repo.find(id);
    if (!record || !canRead(ctx, record)) throw imageNotFound(id);
    if (record.status === "deactivated" && !ctx.isAdmin) {
      throw new Forbidden("The requested image has been deactivated. Image data download is forbidden.");
    }
    if (!canDownload(ctx, record))
      throw new Forbidden("You are not authorized to complete download_image action.");
    const image = toImage(record);
    if (image.status !== "active" && image.status !== "deactivated") return { image, path: null, size: 0 };
    const size = await this.#data.size(id);
    if (size === undefined || size === 0) return { image, path: null, size: 0 };
    return { image, path: this.#data.path(id), size };
  }

  /** Where an active image's data is, for drivers that read it; null when it has none. */
  async dataPath(id: string): Promise<string | null> {
    const record = await this.#repo.find(id);
    if (!record || (record.status !== "active" && record.status !== "deactivated")) return null;
    return (await this.#data.size(id)) === undefined ? null : this.#data.path(id);
  }

  /** Glance's deactivate action: an active image's data can no longer be downloaded (but by admins). */
  async deactivate(ctx: AuthContext, id: string): Promise<void> {
    await this.#activation(ctx, id, "deactivate", "active", "deactivated");
  }

  async reactivate(ctx: AuthContext, id: string): Promise<void> {
    await this.#activation(ctx, id, "reactivate", "deactivated", "active");
  }

  async #activation(
    ctx: AuthContext,
    id: string,
    action: "deactivate" | "reactivate",
    from: string,
    to: string,
  ): Promise<void> {
    await this.#repo.transaction(async (trx) => {
      const record = await this.#repo.lock(trx, id);
      if (!record || !canRead(ctx, record)) throw imageNotFound(id);
      if (!canModify(ctx, record))
        throw new Forbidden(`You are not authorized to complete ${action} action.`);
      if (record.status === to) return;
      if (record.status !== from) {
        throw new Forbidden(`Not allowed to ${action} image in status '${record.status}'`);
      }
      await this.#repo.update(
        id,
        { status: to, updatedAt: laterThan(this.#now(), record.updatedAt) },
        { executor: trx },
      );
    });
  }

  /**
   * A queued, private image owned by the caller's project, to receive a server's snapshot
   * (nova's createImage). With `sourceDataPath` the data is taken from that file at once.
   * Returns the image id.
   */
  async createSnapshot(ctx: AuthContext, spec: SnapshotSpec): Promise<string> {
    if (ctx.projectId === null) throw new Forbidden("You are not authorized to complete add_image action.");
    const properties: Record<string, string> = {
      user_id: ctx.userId,
      owner_user_name: ctx.userName,
      ...(ctx.projectName !== null ? { owner_project_name: ctx.projectName } : {}),
      ...spec.properties,
      instance_uuid: spec.instanceUuid,
    };
    checkPropertyNames(Object.keys(properties));
    checkQuotas(properties, []);
    const id = randomUUID();
    const record = this.#queued({
      id,
      name: spec.name,
      visibility: "private",
      owner: ctx.projectId,
      containerFormat: spec.containerFormat ?? "bare",
      diskFormat: spec.diskFormat ?? "qcow2",
      minDisk: nonNegative("min_disk", spec.minDisk ?? 0),
      minRam: nonNegative("min_ram", spec.minRam ?? 0),
      protected: false,
      osHidden: false,
      tags: [],
      properties,
    });
    checkDbIntegers(record);
    await this.#insertCounted(record);
    if (spec.sourceDataPath !== undefined) {
      try {
        // opened first, so that a missing file fails here rather than in an unread stream
        const file = await open(spec.sourceDataPath);
        try {
          await this.uploadSnapshot(id, file.createReadStream({ autoClose: false }));
        } finally {
          await file.close();
        }
      } catch (error) {
        await this.deleteSnapshot(id);
        throw error;
      }
    }
    return id;
  }

  /**
   * Gives a snapshot image its data and makes it active. Safe to repeat (a retried task):
   * an image that is active already is left as it is, one left in saving is taken over.
   * `null` makes the image active without data (size 0), as for a volume-backed server.
   */
  async uploadSnapshot(id: string, data: ImageDataSource | null): Promise<void> {
    const record = await this.#repo.find(id);
    if (!record) throw imageNotFound(id);
    if (record.status === "active") return;
    await this.#claim(id, ["queued", "saving"]);
    if (data !== null) {
      await this.#receive(id, data, {});
      return;
    }
    const done = await this.#repo.update(
      id,
      {
        status: "active",
        size: 0,
        virtualSize: null,
        checksum: null,
        osHashAlgo: null,
        osHashValue: null,
        updatedAt: this.#now(),
      },
      { fromStatus: ["saving"] },
    );
    if (!done) throw new ImageGone(id);
  }

  /** Drops a snapshot image and its data (a failed or abandoned createImage); no-op when gone. */
  async deleteSnapshot(id: string): Promise<void> {
    await this.#repo.delete(id);
    await this.#data.remove(id);
  }

  /**
   * Makes sure the default public image exists (`cirros-0.6.2-x86_64-disk`: qcow2, bare,
   * active, with a few KiB of generated placeholder data) and returns its id. Idempotent:
   * it has a fixed id, an interrupted earlier attempt is completed, missing data rewritten.
   */
  async ensureBootstrapImage(options: { owner?: string | null } = {}): Promise<string> {
    const id = BOOTSTRAP_IMAGE_ID;
    let record = await this.#repo.find(id);
    if (!record) {
      const now = this.#now();
      await this.#repo.insert({
        id,
        name: BOOTSTRAP_IMAGE_NAME,
        status: "queued",
        visibility: "public",
        owner: options.owner ?? null,
        containerFormat: "bare",
        diskFormat: "qcow2",
        size: null,
        virtualSize: null,
        checksum: null,
        osHashAlgo: null,
        osHashValue: null,
        minDisk: 0,
        minRam: 0,
        protected: false,
        osHidden: false,
        tags: [],
        properties: { ...BOOTSTRAP_IMAGE_PROPERTIES },
        createdAt: now,
        updatedAt: now,
      });
      record = await this.#repo.find(id);
      if (!record) throw new Conflict(`Image ${id} was deleted while being created`);
    }
    const complete = record.status === "active" && (await this.#data.size(id)) === record.size;
    if (complete || !["queued", "saving", "active"].includes(record.status)) return id;
    const staged = await this.#data.stage(id, bootstrapImageData(), {
      maxBytes: this.#maxImageBytes,
      reserveBytes: 0,
    });
    await staged.commit();
    await this.#repo.update(id, {
      status: "active",
      ...this.#dataFields(staged, "qcow2"),
      updatedAt: this.#now(),
    });
    return id;
  }

  /** queued (or a listed status) → saving, atomically; Conflict when the image is elsewhere. */
  async #claim(id: string, from: string[]): Promise<void> {
    if (await this.#repo.update(id, { status: "saving", updatedAt: this.#now() }, { fromStatus: from }))
      return;
    const now = await this.#repo.find(id);
    if (!now) throw imageNotFound(id);
    throw statusConflict(now.status, "saving");
  }

  /**
   * Streams data in for an image in saving and makes it active; back to queued on failure.
   * The data is cut off where it would pass the owner's storage quota, and the quota is
   * checked again, under the owner's lock, as the image becomes active: two uploads at once
   * cannot overshoot it together.
   */
  async #receive(
    id: string,
    source: ImageDataSource,
    sizes: { expectedSize?: number; declaredSize?: number },
  ): Promise<Image> {
    const { expectedSize } = sizes;
    let staged: StagedData;
    try {
      const owner = this.#limits.imageSizeTotalMiB < 0 ? null : ((await this.#repo.find(id))?.owner ?? null);
      const remaining =
        owner === null ? undefined : remainingBytes(this.#limits, await this.#repo.ownerUsage(owner));
      staged = await this.#data.stage(
        id,
        remaining === undefined ? source : quotaLimited(source, remaining),
        {
          maxBytes: this.#maxImageBytes,
          reserveBytes: this.#reserveBytes,
          declaredBytes: expectedSize ?? sizes.declaredSize,
        },
      );
      if (expectedSize !== undefined && staged.size !== expectedSize) {
        await staged.discard();
        throw new InvalidInput(
          `The uploaded data size ${staged.size} does not match the x-openstack-image-size header (${expectedSize}).`,
        );
      }
    } catch (error) {
      await this.#restoreQueued(id);
      throw error;
    }
    const record = await this.#repo.find(id);
    if (record?.status !== "saving") {
      await staged.discard();
      throw new ImageGone(id);
    }
    const fields = {
      status: "active",
      ...this.#dataFields(staged, record.diskFormat),
      updatedAt: this.#now(),
    };
    let activated: boolean;
    let committed = false;
    try {
      activated = await this.#repo.transaction(async (trx) => {
        if (record.owner !== null && this.#limits.imageSizeTotalMiB >= 0) {
          await this.#repo.lockOwner(trx, record.owner);
          const remaining = remainingBytes(this.#limits, await this.#repo.ownerUsage(record.owner, trx))!;
          if (staged.size > remaining) throw storageQuotaFull(staged.size, remaining);
        }
        await staged.commit();
        committed = true;
        return this.#repo.update(id, fields, { fromStatus: ["saving"], executor: trx });
      });
    } catch (error) {
      await (committed ? this.#data.remove(id) : staged.discard());
      await this.#restoreQueued(id);
      throw error;
    }
    if (!activated) {
      // deleted (or reset) while the data came in: drop what was written
      await this.#data.remove(id);
      throw new ImageGone(id);
    }
    return toImage({ ...record, ...fields });
  }

  #dataFields(staged: StagedData, diskFormat: string | null) {
    return {
      size: staged.size,
      virtualSize: virtualSize(diskFormat, staged.head, staged.size),
      checksum: staged.checksum,
      osHashAlgo: OS_HASH_ALGO,
      osHashValue: staged.osHashValue,
    };
  }

  async #restoreQueued(id: string): Promise<void> {
    await this.#repo.update(
      id,
      {
        status: "queued",
        size: null,
        virtualSize: null,
        checksum: null,
        osHashAlgo: null,
        osHashValue: null,
        updatedAt: this.#now(),
      },
      { fromStatus: ["saving"] },
    );
  }
}

function statusConflict(from: string, to: string): Conflict {
  return new Conflict(`Image status transition from ${from} to ${to} is not allowed`);
}

/** An updated_at strictly after the previous one, so that every change is visible in the order. */
function laterThan(now: string, previous: string): string {
  const prev = Date.parse(previous);
  return Date.parse(now) > prev ? now : new Date(prev + 1).toISOString();
}

/** The disk's virtual size when its header tells it (qcow2), or when data and disk are one (raw, iso). */
function virtualSize(diskFormat: string | null, head: Buffer, size: number): number | null {
  if (head.length >= 32 && head.readUInt32BE(0) === 0x514649fb) {
    // the header is the uploader's: a size no disk has (past 2^53 bytes) is no size at all,
    // and would not fit the BIGINT column either
    const declared = head.readBigUInt64BE(24);
    return declared <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(declared) : null;
  }
  if (diskFormat === "raw" || diskFormat === "iso") return size;
  return null;
}
