import type { Transaction } from "kysely";
import type { Db } from "./database.js";
import { QuotaRepository } from "./quota-repository.js";
import type { Database } from "./schema.js";

export type Executor = Db | Transaction<Database>;

/** The table each of Neutron's quota resources is counted in. */
const TABLES = {
  network: "networks",
  subnet: "subnets",
  port: "ports",
  router: "routers",
  floatingip: "floatingips",
  security_group: "security_groups",
  security_group_rule: "security_group_rules",
} as const;

export type NetworkQuotaResource = keyof typeof TABLES;

/**
 * Neutron's per-project quota limits, the lock row a quota-checked create takes first
 * (a quota_locks row per project and resource, which nova's checks use too), and the
 * usage counts the checks compare against.
 */
export class NetworkQuotaRepository {
  readonly #locks: QuotaRepository;

  constructor(private readonly db: Db) {
    this.#locks = new QuotaRepository(db);
  }

  /** The limits set for a project, by resource. */
  async limits(projectId: string, ex: Executor = this.db): Promise<Record<string, number>> {
    const rows = await ex
      .selectFrom("network_quotas")
      .select(["resource", "quota_limit"])
      .where("project_id", "=", projectId)
      .execute();
    return Object.fromEntries(rows.map((r) => [r.resource, Number(r.quota_limit)]));
  }

  /** Every limit set, of every project, by project. */
  async allLimits(ex: Executor = this.db): Promise<Map<string, Record<string, number>>> {
    const rows = await ex
      .selectFrom("network_quotas")
      .selectAll()
      .orderBy("project_id")
      .orderBy("resource")
      .execute();
    const out = new Map<string, Record<string, number>>();
    for (const row of rows) {
      const limits = out.get(row.project_id) ?? {};
      limits[row.resource] = Number(row.quota_limit);
      out.set(row.project_id, limits);
    }
    return out;
  }

  async setLimit(ex: Executor, projectId: string, resource: string, limit: number): Promise<void> {
    await ex
      .insertInto("network_quotas")
      .values({ project_id: projectId, resource, quota_limit: limit })
      .onConflict((oc) => oc.columns(["project_id", "resource"]).doUpdateSet({ quota_limit: limit }))
      .execute();
  }

  /** Drops a project's limits; returns how many there were. */
  async deleteLimits(projectId: string, ex: Executor = this.db): Promise<number> {
    const result = await ex
      .deleteFrom("network_quotas")
      .where("project_id", "=", projectId)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Takes the lock row of a project's count of a resource for the rest of the transaction. */
  lock(trx: Transaction<Database>, projectId: string, resource: NetworkQuotaResource): Promise<void> {
    return this.#locks.lock(trx, `network:${resource}:${projectId}`);
  }

  /** How many of the resource the project has. */
  async count(resource: NetworkQuotaResource, projectId: string, ex: Executor = this.db): Promise<number> {
    const row = await ex
      .selectFrom(TABLES[resource])
      .select((eb) => eb.fn.countAll().as("n"))
      .where("project_id", "=", projectId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
