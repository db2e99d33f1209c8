import { type Kysely, sql, type Transaction } from "kysely";
import type { Db } from "./database.js";
import type { Database, KeypairTable } from "./schema.js";

export type Executor = Db | Transaction<Database>;

/** The keypairs table with the integer id that migration 0004 adds. */
interface KeypairDatabase extends Omit<Database, "keypairs"> {
  keypairs: KeypairTable & { id: number | null };
}

export interface KeypairRecord {
  id: number;
  userId: string;
  name: string;
  projectId: string;
  type: string;
  publicKey: string;
  fingerprint: string;
  createdAt: string;
}

export type NewKeypair = Omit<KeypairRecord, "id">;

type Row = KeypairTable & { id: number | null };

function toRecord(row: Row): KeypairRecord {
  return {
    id: Number(row.id ?? 0),
    userId: row.user_id,
    name: row.name,
    projectId: row.project_id,
    type: row.type,
    publicKey: row.public_key,
    fingerprint: row.fingerprint,
    createdAt: row.created_at,
  };
}

/** Keypairs, keyed by (user, name) as nova keys them. */
export class KeypairRepository {
  constructor(private readonly db: Db) {}

  #q(executor: Executor): Kysely<KeypairDatabase> {
    return executor as unknown as Kysely<KeypairDatabase>;
  }

  async find(userId: string, name: string, executor: Executor = this.db): Promise<KeypairRecord | undefined> {
    const row = await this.#q(executor)
      .selectFrom("keypairs")
      .selectAll()
      .where("user_id", "=", userId)
      .where("name", "=", name)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  /** A user's keypairs sorted by name, after `marker` (a name); undefined when the marker is no keypair of the user. */
  async list(
    userId: string,
    page: { limit?: number; marker?: string } = {},
  ): Promise<KeypairRecord[] | undefined> {
    if (page.marker !== undefined && !(await this.find(userId, page.marker))) return undefined;
    let query = this.#q(this.db)
      .selectFrom("keypairs")
      .selectAll()
      .where("user_id", "=", userId)
      .orderBy("name");
    if (page.marker !== undefined) query = query.where("name", ">", page.marker);
    if (page.limit !== undefined) query = query.limit(page.limit);
    return (await query.execute()).map(toRecord);
  }

  /**
   * Inserts a keypair, numbering it one above the highest id. Call inside the transaction
   * that checked the quota; a clash on the id (two users' inserts at once on PostgreSQL)
   * fails on the unique index and the caller retries.
   */
  async insert(executor: Executor, keypair: NewKeypair): Promise<KeypairRecord> {
    const q = this.#q(executor);
    const top = await q
      .selectFrom("keypairs")
      .select(sql<number | string | null>`max(id)`.as("top"))
      .executeTakeFirstOrThrow();
    const id = Number(top.top ?? 0) + 1;
    await q
      .insertInto("keypairs")
      .values({
        id,
        user_id: keypair.userId,
        name: keypair.name,
        project_id: keypair.projectId,
        type: keypair.type,
        public_key: keypair.publicKey,
        fingerprint: keypair.fingerprint,
        created_at: keypair.createdAt,
      })
      .execute();
    return { id, ...keypair };
  }

  async delete(userId: string, name: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom("keypairs")
      .where("user_id", "=", userId)
      .where("name", "=", name)
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}
