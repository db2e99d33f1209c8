import type { Transaction } from "kysely";
import type { Db } from "./database.js";
import { QuotaRepository } from "./quota-repository.js";
import type { AutoAllocatedTopologyRow, Database } from "./schema.js";

export type Executor = Db | Transaction<Database>;

/** The lock row that orders claims of private ranges (a quota_locks row, as quota checks take). */
const RANGE_LOCK = "auto-allocated-topology:ranges";

/** The rows of auto-allocated topologies: each project's claim, its range, network and router. */
export class AutoAllocationRepository {
  readonly #locks: QuotaRepository;

  constructor(readonly db: Db) {
    this.#locks = new QuotaRepository(db);
  }

  transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(work);
  }

  /** Takes the range lock for the rest of the transaction: claims are made one at a time. */
  lockRanges(trx: Transaction<Database>): Promise<void> {
    return this.#locks.lock(trx, RANGE_LOCK);
  }

  find(projectId: string, ex: Executor = this.db): Promise<AutoAllocatedTopologyRow | undefined> {
    return ex
      .selectFrom("auto_allocated_topologies")
      .selectAll()
      .where("project_id", "=", projectId)
      .executeTakeFirst();
  }

  async claimedRanges(ex: Executor = this.db): Promise<Set<string>> {
    const rows = await ex.selectFrom("auto_allocated_topologies").select("cidr").execute();
    return new Set(rows.map((r) => r.cidr));
  }

  async claim(trx: Transaction<Database>, projectId: string, cidr: string): Promise<void> {
    await trx
      .insertInto("auto_allocated_topologies")
      .values({ project_id: projectId, cidr, network_id: null, router_id: null })
      .execute();
  }

  /** Records the built topology on the claim; false when another builder recorded one first. */
  async complete(projectId: string, networkId: string, routerId: string): Promise<boolean> {
    const result = await this.db
      .updateTable("auto_allocated_topologies")
      .set({ network_id: networkId, router_id: routerId })
      .where("project_id", "=", projectId)
      .where("network_id", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async release(projectId: string, ex: Executor = this.db): Promise<void> {
    await ex.deleteFrom("auto_allocated_topologies").where("project_id", "=", projectId).execute();
  }
}
