import { sql, type Transaction } from "kysely";
import { chunks } from "./batch.js";
import type { Db } from "./database.js";
import type { Database, ResourceProviderRow } from "./schema.js";

type Executor = Db | Transaction<Database>;

const MEMORY_MB = "MEMORY_MB";

/** How much of a class may be used: (total - reserved) x allocation_ratio, as placement computes it. */
export function capacityOf(inventory: Inventory): number {
  return Math.floor((inventory.total - inventory.reserved) * inventory.allocationRatio);
}

/** `case resource_class when <class> then <change> ... else 0 end`: each class's change in one statement. */
function deltaOf(changes: ReadonlyArray<[string, number]>) {
  const whens = changes.map(([resourceClass, used]) => sql`when ${resourceClass} then ${used}`);
  return sql<number>`case resource_class ${sql.join(whens, sql` `)} else 0 end`;
}

/** What a provider has of one resource class. */
export interface Inventory {
  resourceClass: string;
  total: number;
  reserved: number;
  minUnit: number;
  maxUnit: number;
  stepSize: number;
  allocationRatio: number;
}

/** A provider's inventories with what its consumers use now, by resource class. */
export interface ProviderUsage {
  providerId: number;
  name: string;
  inventories: Map<string, Inventory>;
  used: Map<string, number>;
}

/** Placement's tables: resource providers, their inventories, and the allocations against them. */
export class PlacementRepository {
  constructor(readonly db: Db) {}

  /** Creates the provider `name` (with `uuid`) or finds it; answers its id. */
  async saveProvider(trx: Executor, provider: { uuid: string; name: string; now: string }): Promise<number> {
    return (await this.saveProviders(trx, [provider], provider.now)).get(provider.name)!;
  }

  /** saveProvider for many, in a few statements: the id of each by name. */
  async saveProviders(
    trx: Executor,
    providers: ReadonlyArray<{ uuid: string; name: string }>,
    now: string,
  ): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    for (const chunk of chunks(providers)) {
      await trx
        .insertInto("resource_providers")
        .values(chunk.map((p) => ({ uuid: p.uuid, name: p.name, created_at: now, updated_at: null })))
        .onConflict((oc) => oc.column("name").doNothing())
        .execute();
      const rows = await trx
        .selectFrom("resource_providers")
        .select(["id", "name"])
        .where(
          "name",
          "in",
          chunk.map((p) => p.name),
        )
        .execute();
      for (const r of rows) ids.set(r.name, r.id);
    }
    return ids;
  }

  /**
   * Replaces the provider's inventories with `inventories`: each keeps what the provider's
   * allocations of its class already use, and the provider's free RAM follows.
   */
  async setInventories(trx: Executor, providerId: number, inventories: readonly Inventory[]): Promise<void> {
    await this.setInventoriesOf(trx, [{ providerId, inventories }]);
  }

  /** setInventories for many providers, in a few statements (a process registering 10,000 hosts). */
  async setInventoriesOf(
    trx: Executor,
    providers: ReadonlyArray<{ providerId: number; inventories: readonly Inventory[] }>,
  ): Promise<void> {
    for (const chunk of chunks(providers)) {
      const ids = chunk.map((p) => p.providerId);
      const used = await trx
        .selectFrom("allocations")
        .select((eb) => ["resource_provider_id", "resource_class", eb.fn.sum<number>("used").as("used")])
        .where("resource_provider_id", "in", ids)
        .groupBy(["resource_provider_id", "resource_class"])
        .execute();
      // PostgreSQL sums to a bigint string
      const usedOf = new Map(
        used.map((u) => [`${u.resource_provider_id}/${u.resource_class}`, Number(u.used)]),
      );
      await trx.deleteFrom("inventories").where("resource_provider_id", "in", ids).execute();
      const rows = chunk.flatMap(({ providerId, inventories }) =>
        inventories.map((i) => ({
          resource_provider_id: providerId,
          resource_class: i.resourceClass,
          total: i.total,
          reserved: i.reserved,
          min_unit: i.minUnit,
          max_unit: i.maxUnit,
          step_size: i.stepSize,
          allocation_ratio: i.allocationRatio,
          capacity: capacityOf(i),
          used: usedOf.get(`${providerId}/${i.resourceClass}`) ?? 0,
        })),
      );
      if (rows.length > 0) await trx.insertInto("inventories").values(rows).execute();
      // the free RAM of each: grouped by value, so equal hosts take one statement
      const byFree = new Map<number, number[]>();
      for (const { providerId } of chunk) {
        const memory = rows.find(
          (r) => r.resource_provider_id === providerId && r.resource_class === MEMORY_MB,
        );
        const free = memory ? memory.capacity - memory.used : 0;
        byFree.set(free, [...(byFree.get(free) ?? []), providerId]);
      }
      for (const [free, providerIds] of byFree) {
        await trx
          .updateTable("resource_providers")
          .set({ free_memory_mb: free })
          .where("id", "in", providerIds)
          .execute();
      }
    }
  }

  /**
   * Takes the provider for the rest of the transaction (a generation bump: a row lock on
   * PostgreSQL; SQLite runs one writing transaction at a time). False when it does not exist.
   */
  async lock(trx: Transaction<Database>, name: string): Promise<boolean> {
    const result = await trx
      .updateTable("resource_providers")
      .set((eb) => ({ generation: eb("generation", "+", 1) }))
      .where("name", "=", name)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** The inventories and current use of the named providers (all of them without names), in id order. */
  async usages(names?: readonly string[], executor: Executor = this.db): Promise<ProviderUsage[]> {
    if (names?.length === 0) return [];
    // one query: a claim reads its provider's this way, inside its transaction
    let query = executor
      .selectFrom("resource_providers")
      .leftJoin("inventories", "inventories.resource_provider_id", "resource_providers.id")
      .select([
        "resource_providers.id as providerId",
        "resource_providers.name",
        "inventories.resource_class",
        "inventories.total",
        "inventories.reserved",
        "inventories.min_unit",
        "inventories.max_unit",
        "inventories.step_size",
        "inventories.allocation_ratio",
        "inventories.used",
      ])
      .orderBy("resource_providers.id", "asc");
    if (names) query = query.where("resource_providers.name", "in", names);
    const byId = new Map<number, ProviderUsage>();
    for (const r of await query.execute()) {
      let usage = byId.get(r.providerId);
      if (!usage) {
        usage = { providerId: r.providerId, name: r.name, inventories: new Map(), used: new Map() };
        byId.set(r.providerId, usage);
      }
      if (r.resource_class === null) continue;
      usage.inventories.set(r.resource_class, {
        resourceClass: r.resource_class,
        total: r.total!,
        reserved: r.reserved!,
        minUnit: r.min_unit!,
        maxUnit: r.max_unit!,
        stepSize: r.step_size!,
        allocationRatio: Number(r.allocation_ratio),
      });
      if (r.used! > 0) usage.used.set(r.resource_class, r.used!);
    }
    return [...byId.values()];
  }

  /** Moves what one consumer holds to another (a resize's old flavor to its migration). */
  async moveAllocations(trx: Executor, from: string, to: string): Promise<void> {
    await trx.updateTable("allocations").set({ consumer_id: to }).where("consumer_id", "=", from).execute();
  }

  /**
   * Records what the consumer holds on the provider, and adds it to the provider's use
   * (and takes its RAM off the provider's free RAM) in the same transaction.
   */
  async allocate(
    trx: Transaction<Database>,
    providerId: number,
    consumerId: string,
    resources: Readonly<Record<string, number>>,
    now: string,
  ): Promise<void> {
    const rows = Object.entries(resources)
      .filter(([, used]) => used > 0)
      .map(([resourceClass, used]) => ({
        resource_provider_id: providerId,
        consumer_id: consumerId,
        resource_class: resourceClass,
        used,
        created_at: now,
      }));
    if (rows.length === 0) return;
    await trx.insertInto("allocations").values(rows).execute();
    await this.#count(trx, rows, 1);
  }

  /** Drops everything the consumer holds, on every provider, and gives it back to their free room. */
  async release(consumerId: string, executor: Executor = this.db): Promise<void> {
    if (!executor.isTransaction) {
      return this.db.transaction().execute((trx) => this.release(consumerId, trx));
    }
    // what this transaction deleted, not what it read: a release racing another frees once
    const gone = await executor
      .deleteFrom("allocations")
      .where("consumer_id", "=", consumerId)
      .returning(["resource_provider_id", "resource_class", "used"])
      .execute();
    await this.#count(executor, gone, -1);
  }

  /** Adds (`sign` 1) or takes back (-1) allocations from their providers' use and free RAM. */
  async #count(
    trx: Executor,
    rows: ReadonlyArray<{ resource_provider_id: number; resource_class: string; used: number }>,
    sign: 1 | -1,
  ): Promise<void> {
    // per provider, its classes' changes: one statement for its inventories, one for its free RAM
    const byProvider = new Map<number, Map<string, number>>();
    for (const r of rows) {
      const changes = byProvider.get(r.resource_provider_id) ?? new Map<string, number>();
      changes.set(r.resource_class, (changes.get(r.resource_class) ?? 0) + r.used * sign);
      byProvider.set(r.resource_provider_id, changes);
    }
    for (const [providerId, changes] of byProvider) {
      const changed = [...changes].filter(([, used]) => used !== 0);
      if (changed.length === 0) continue;
      await trx
        .updateTable("inventories")
        .set((eb) => ({ used: eb("used", "+", deltaOf(changed)) }))
        .where("resource_provider_id", "=", providerId)
        .where(
          "resource_class",
          "in",
          changed.map(([resourceClass]) => resourceClass),
        )
        .execute();
      const memory = changes.get(MEMORY_MB) ?? 0;
      if (memory !== 0) {
        await trx
          .updateTable("resource_providers")
          .set((eb) => ({ free_memory_mb: eb("free_memory_mb", "-", memory) }))
          .where("id", "=", providerId)
          .execute();
      }
    }
  }

  /** What the consumer holds, by provider name and resource class. */
  async allocationsOf(
    consumerId: string,
    executor: Executor = this.db,
  ): Promise<Map<string, Record<string, number>>> {
    const rows = await executor
      .selectFrom("allocations")
      .innerJoin("resource_providers", "resource_providers.id", "allocations.resource_provider_id")
      .select(["resource_providers.name", "allocations.resource_class", "allocations.used"])
      .where("allocations.consumer_id", "=", consumerId)
      .execute();
    const out = new Map<string, Record<string, number>>();
    for (const r of rows) out.set(r.name, { ...out.get(r.name), [r.resource_class]: r.used });
    return out;
  }

  // ---- what the Placement API reads ------------------------------------------------

  /** Providers in id order, optionally those of one name or uuid. */
  async providers(filter: { name?: string; uuid?: string } = {}): Promise<ResourceProviderRow[]> {
    let query = this.db.selectFrom("resource_providers").selectAll().orderBy("id", "asc");
    if (filter.name !== undefined) query = query.where("name", "=", filter.name);
    if (filter.uuid !== undefined) query = query.where("uuid", "=", filter.uuid);
    return query.execute();
  }

  /** Per consumer, what it holds on the provider, by resource class. */
  async allocationsOn(providerId: number): Promise<Map<string, Record<string, number>>> {
    const rows = await this.db
      .selectFrom("allocations")
      .select(["consumer_id", "resource_class", "used"])
      .where("resource_provider_id", "=", providerId)
      .orderBy("id", "asc")
      .execute();
    const out = new Map<string, Record<string, number>>();
    for (const r of rows) out.set(r.consumer_id, { ...out.get(r.consumer_id), [r.resource_class]: r.used });
    return out;
  }

  /** What a consumer holds, by provider (its uuid and generation) and class. */
  async consumerAllocations(
    consumerId: string,
  ): Promise<Array<{ uuid: string; generation: number; resources: Record<string, number> }>> {
    const rows = await this.db
      .selectFrom("allocations")
      .innerJoin("resource_providers", "resource_providers.id", "allocations.resource_provider_id")
      .select([
        "resource_providers.uuid",
        "resource_providers.generation",
        "allocations.resource_class",
        "allocations.used",
      ])
      .where("allocations.consumer_id", "=", consumerId)
      .execute();
    const byProvider = new Map<
      string,
      { uuid: string; generation: number; resources: Record<string, number> }
    >();
    for (const r of rows) {
      const entry = byProvider.get(r.uuid) ?? { uuid: r.uuid, generation: r.generation, resources: {} };
      entry.resources[r.resource_class] = r.used;
      byProvider.set(r.uuid, entry);
    }
    return [...byProvider.values()];
  }

  /** Whose a consumer is: its server's project and user, or those its migration records. */
  async consumerOwner(consumerId: string): Promise<{ projectId: string; userId: string } | undefined> {
    const server = await this.db
      .selectFrom("instances")
      .select(["project_id", "user_id"])
      .where("uuid", "=", consumerId)
      .executeTakeFirst();
    const owner =
      server ??
      (await this.db
        .selectFrom("migrations")
        .select(["project_id", "user_id"])
        .where("uuid", "=", consumerId)
        .executeTakeFirst());
    return owner && { projectId: owner.project_id, userId: owner.user_id };
  }

  /**
   * What a project's consumers hold, by class: its servers' allocations and those of the
   * migrations of its servers (placement counts both for the project that made them).
   */
  async projectUsage(projectId: string, userId?: string): Promise<Record<string, number>> {
    const servers = this.db
      .selectFrom("instances")
      .select("uuid as consumer")
      .where("project_id", "=", projectId)
      .$if(userId !== undefined, (q) => q.where("user_id", "=", userId!));
    const migrations = this.db
      .selectFrom("migrations")
      .innerJoin("instances", "instances.uuid", "migrations.instance_uuid")
      .select("migrations.uuid as consumer")
      .where("instances.project_id", "=", projectId)
      .$if(userId !== undefined, (q) => q.where("instances.user_id", "=", userId!));
    const rows = await this.db
      .selectFrom("allocations")
      .select((eb) => ["resource_class", eb.fn.sum<number>("used").as("used")])
      .where((eb) => eb.or([eb("consumer_id", "in", servers), eb("consumer_id", "in", migrations)]))
      .groupBy("resource_class")
      .execute();
    return Object.fromEntries(rows.map((r) => [r.resource_class, Number(r.used)]));
  }
}
