import type { Generated, Insertable, Kysely, Selectable, Transaction, Updateable } from "kysely";
import type { Db } from "./database.js";
import { QuotaRepository } from "./quota-repository.js";
import type { Database, ImageTable } from "./schema.js";

/** The images table with the `os_hidden` column that migration 0003 adds. */
interface ImageDatabase extends Omit<Database, "images"> {
  images: ImageTable & { os_hidden: Generated<number> };
}
type ImageRow = Selectable<ImageDatabase["images"]>;
type ImageColumns = Updateable<ImageDatabase["images"]>;

export type Executor = Db | Transaction<Database>;

/** One image as stored: Glance's base attributes, its tags and its extra properties. */
export interface ImageRecord {
  id: string;
  name: string | null;
  status: string;
  visibility: string;
  owner: string | null;
  containerFormat: string | null;
  diskFormat: string | null;
  size: number | null;
  virtualSize: number | null;
  checksum: string | null;
  osHashAlgo: string | null;
  osHashValue: string | null;
  minDisk: number;
  minRam: number;
  protected: boolean;
  osHidden: boolean;
  tags: string[];
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
}

/** Column conditions of a listing; the rest of Glance's filters apply in the service. */
export interface ImageWhere {
  /** Only images this project may read: public or community ones, and its own. Omitted: every image. */
  readableBy?: { projectId: string | null };
  /** Leaves out community images that this project does not own (null: every community image). */
  hideCommunityNotOwnedBy?: { projectId: string | null };
  visibility?: string;
  ids?: string[];
  names?: string[];
  statuses?: string[];
  statusNot?: string[];
  containerFormats?: string[];
  diskFormats?: string[];
  owner?: string;
  osHidden?: boolean;
  protected?: boolean;
  checksum?: string;
  osHashValue?: string;
}

const bool = (flag: boolean): number => (flag ? 1 : 0);
const num = (value: number | string | bigint | null): number | null =>
  value === null ? null : Number(value);

function toRecord(row: ImageRow): ImageRecord {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    visibility: row.visibility,
    owner: row.owner,
    containerFormat: row.container_format,
    diskFormat: row.disk_format,
    size: num(row.size),
    virtualSize: num(row.virtual_size),
    checksum: row.checksum,
    osHashAlgo: row.os_hash_algo,
    osHashValue: row.os_hash_value,
    minDisk: Number(row.min_disk),
    minRam: Number(row.min_ram),
    protected: Number(row.protected) === 1,
    osHidden: Number(row.os_hidden) === 1,
    tags: JSON.parse(row.tags) as string[],
    properties: JSON.parse(row.properties) as Record<string, string | null>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The columns of a record (all but the id), as the table spells them. */
function toColumns(record: Partial<Omit<ImageRecord, "id">>): ImageColumns {
  const columns: ImageColumns = {};
  if (record.name !== undefined) columns.name = record.name;
  if (record.status !== undefined) columns.status = record.status;
  if (record.visibility !== undefined) columns.visibility = record.visibility;
  if (record.owner !== undefined) columns.owner = record.owner;
  if (record.containerFormat !== undefined) columns.container_format = record.containerFormat;
  if (record.diskFormat !== undefined) columns.disk_format = record.diskFormat;
  if (record.size !== undefined) columns.size = record.size;
  if (record.virtualSize !== undefined) columns.virtual_size = record.virtualSize;
  if (record.checksum !== undefined) columns.checksum = record.checksum;
  if (record.osHashAlgo !== undefined) columns.os_hash_algo = record.osHashAlgo;
  if (record.osHashValue !== undefined) columns.os_hash_value = record.osHashValue;
  if (record.minDisk !== undefined) columns.min_disk = record.minDisk;
  if (record.minRam !== undefined) columns.min_ram = record.minRam;
  if (record.protected !== undefined) columns.protected = bool(record.protected);
  if (record.osHidden !== undefined) columns.os_hidden = bool(record.osHidden);
  if (record.tags !== undefined) columns.tags = JSON.stringify(record.tags);
  if (record.properties !== undefined) columns.properties = JSON.stringify(record.properties);
  if (record.createdAt !== undefined) columns.created_at = record.createdAt;
  if (record.updatedAt !== undefined) columns.updated_at = record.updatedAt;
  return columns;
}

/** What an owner's images use: how many count against its image limits, and their bytes. */
export interface ImageUsage {
  count: number;
  bytes: number;
}

/** Statuses whose images no longer count against their owner's limits (glance's usage queries). */
const NOT_COUNTED = ["killed", "deleted", "pending_delete"];

/** Glance's image records. Tags and extra properties are JSON columns of the row. */
export class ImageRepository {
  constructor(private readonly db: Db) {}

  #q(executor: Executor): Kysely<ImageDatabase> {
    return executor as unknown as Kysely<ImageDatabase>;
  }

  /** Runs `work` in a transaction (images are changed read-lock-write inside one). */
  transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(work);
  }

  async find(id: string, executor: Executor = this.db): Promise<ImageRecord | undefined> {
    const row = await this.#q(executor)
      .selectFrom("images")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  /**
   * Takes the row lock of an image for the rest of the transaction (a no-op update, so that
   * PostgreSQL holds the row until commit; SQLite's single connection serialises anyway) and
   * reads it. Undefined when there is no such image.
   */
  async lock(trx: Transaction<Database>, id: string): Promise<ImageRecord | undefined> {
    const result = await this.#q(trx)
      .updateTable("images")
      .set((eb) => ({ updated_at: eb.ref("updated_at") }))
      .where("id", "=", id)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return undefined;
    return this.find(id, trx);
  }

  /**
   * Takes the lock row of an owner's image usage for the rest of the transaction, so that
   * checks of its limits and the changes they guard run one after the other.
   */
  async lockOwner(trx: Transaction<Database>, owner: string): Promise<void> {
    await new QuotaRepository(this.db).lock(trx, `images:${owner}`);
  }

  /**
   * What an owner's images use (glance's user_get_image_count and user_get_storage_usage):
   * how many count, and the bytes of their data.
   */
  async ownerUsage(owner: string, executor: Executor = this.db): Promise<ImageUsage> {
    const row = await this.#q(executor)
      .selectFrom("images")
      .select((eb) => [
        eb.fn.countAll().as("count"),
        eb.fn.coalesce(eb.fn.sum("size"), eb.lit(0)).as("bytes"),
      ])
      .where("owner", "=", owner)
      .where("status", "not in", NOT_COUNTED)
      .executeTakeFirstOrThrow();
    return { count: Number(row.count), bytes: Number(row.bytes) };
  }

  /** The images that meet every condition of `where`, in no particular order. */
  async list(where: ImageWhere, executor: Executor = this.db): Promise<ImageRecord[]> {
    const lists = [where.ids, where.names, where.statuses, where.containerFormats, where.diskFormats];
    if (lists.some((list) => list !== undefined && list.length === 0)) return [];
    let query = this.#q(executor).selectFrom("images").selectAll();
    const readable = where.readableBy;
    if (readable) {
      const { projectId } = readable;
      query = query.where((eb) =>
        eb.or([
          eb("visibility", "in", ["public", "community"]),
          ...(projectId === null ? [] : [eb("owner", "=", projectId)]),
        ]),
      );
    }
    const hide = where.hideCommunityNotOwnedBy;
    if (hide) {
      const { projectId } = hide;
      query = query.where((eb) =>
        eb.or([
          eb("visibility", "!=", "community"),
          ...(projectId === null ? [] : [eb("owner", "=", projectId)]),
        ]),
      );
    }
    if (where.visibility !== undefined) query = query.where("visibility", "=", where.visibility);
    if (where.ids) query = query.where("id", "in", where.ids);
    if (where.names) query = query.where("name", "in", where.names);
    if (where.statuses) query = query.where("status", "in", where.statuses);
    if (where.statusNot?.length) query = query.where("status", "not in", where.statusNot);
    if (where.containerFormats) query = query.where("container_format", "in", where.containerFormats);
    if (where.diskFormats) query = query.where("disk_format", "in", where.diskFormats);
    if (where.owner !== undefined) query = query.where("owner", "=", where.owner);
    if (where.osHidden !== undefined) query = query.where("os_hidden", "=", bool(where.osHidden));
    if (where.protected !== undefined) query = query.where("protected", "=", bool(where.protected));
    if (where.checksum !== undefined) query = query.where("checksum", "=", where.checksum);
    if (where.osHashValue !== undefined) query = query.where("os_hash_value", "=", where.osHashValue);
    return (await query.execute()).map(toRecord);
  }

  /** Inserts an image; false when an image with its id exists already. */
  async insert(record: ImageRecord, executor: Executor = this.db): Promise<boolean> {
    const result = await this.#q(executor)
      .insertInto("images")
      .values({ id: record.id, ...toColumns(record) } as Insertable<ImageDatabase["images"]>)
      .onConflict((oc) => oc.column("id").doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /**
   * Writes `changes` to an image; with `fromStatus`, only while the image is in one of those
   * statuses (the compare-and-set of status transitions). False when no row was changed.
   */
  async update(
    id: string,
    changes: Partial<Omit<ImageRecord, "id" | "createdAt">>,
    options: { fromStatus?: string[]; executor?: Executor } = {},
  ): Promise<boolean> {
    if (options.fromStatus?.length === 0) return false;
    let query = this.#q(options.executor ?? this.db)
      .updateTable("images")
      .set(toColumns(changes))
      .where("id", "=", id);
    if (options.fromStatus) query = query.where("status", "in", options.fromStatus);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async delete(id: string, executor: Executor = this.db): Promise<boolean> {
    const result = await this.#q(executor).deleteFrom("images").where("id", "=", id).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}
