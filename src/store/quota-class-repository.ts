import type { Transaction } from "kysely";
import type { Db } from "./database.js";
import type { Database } from "./schema.js";

export type Executor = Db | Transaction<Database>;

/** Quota class limits (quota_classes): per class name, the limits set for some resources. */
export class QuotaClassRepository {
  constructor(private readonly db: Db) {}

  /** The limits set for a class, by resource; resources without a row fall back to the built-in defaults. */
  async limits(className: string, executor: Executor = this.db): Promise<Record<string, number>> {
    const rows = await executor
      .selectFrom("quota_classes")
      .select(["resource", "hard_limit"])
      .where("class_name", "=", className)
      .execute();
    return Object.fromEntries(rows.map((r) => [r.resource, Number(r.hard_limit)]));
  }

  async setLimits(executor: Executor, className: string, limits: Record<string, number>): Promise<void> {
    for (const [resource, hard_limit] of Object.entries(limits)) {
      await executor
        .insertInto("quota_classes")
        .values({ class_name: className, resource, hard_limit })
        .onConflict((oc) => oc.columns(["class_name", "resource"]).doUpdateSet({ hard_limit }))
        .execute();
    }
  }
}
