import type { Transaction } from "kysely";
import type { Db } from "./database.js";
import type { Database, ResourceProviderRow } from "./schema.js";

type Executor = Db | Transaction<Database>;

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
    await trx
      .insertInto("resource_providers")
      .values({ uuid: provider.uuid, name: provider.name, created_at: provider.now, updated_at: null })
      .onConflict((oc) => oc.column("name").doNothing())
      .execute();
    const row = await trx
      .selectFrom("resource_providers")
      .select("id")
      .where("name", "=", provider.name)
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** Replaces the provider's inventories with `inventories`. */
  async setInventories(trx: Executor, providerId: number, inventories: readonly Inventory[]): Promise<void> {
    await trx.deleteFrom("inventories").where("resource_provider_id", "=", providerId).execute();
    if (inventories.length === 0) return;
    await trx
      .insertInto("inventories")
      .values(
        inventories.map((i) => ({
          resource_provider_id: providerId,
          resource_class: i.resourceClass,
          total: i.total,
          reserved: i.reserved,
          min_unit: i.minUnit,
          max_unit: i.maxUnit,
          step_size: i.stepSize,
          allocation_ratio: i.allocationRatio,
        })),
      )
      .execute();
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

  /** The inventories and current use of the named providers (all of them without names). */
  async usages(names?: readonly string[], executor: Executor = this.db): Promise<ProviderUsage[]> {
    if (names?.length === 0) return [];
    let providers = executor.selectFrom("resource_providers").select(["id", "name"]);
    if (names) providers = providers.where("name", "in", names);
    const rows = await providers.execute();
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const [inventories, used] = await Promise.all([
      executor.selectFrom("inventories").selectAll().where("resource_provider_id", "in", ids).execute(),
      executor
        .selectFrom("allocations")
        .select((eb) => ["resource_provider_id", "resource_class", eb.fn.sum<number>("used").as("used")])
        .where("resource_provider_id", "in", ids)
        .groupBy(["resource_provider_id", "resource_class"])
        .execute(),
    ]);
    const byId = new Map<number, ProviderUsage>(
      rows.map((r) => [r.id, { providerId: r.id, name: r.name, inventories: new Map(), used: new Map() }]),
    );
    for (const i of inventories) {
      byId.get(i.resource_provider_id)!.inventories.set(i.resource_class, {
        resourceClass: i.resource_class,
        total: i.total,
        reserved: i.reserved,
        minUnit: i.min_unit,
        maxUnit: i.max_unit,
        stepSize: i.step_size,
        allocationRatio: Number(i.allocation_ratio),
      });
    }
    // PostgreSQL sums to a bigint string
    for (const u of used) byId.get(u.resource_provider_id)!.used.set(u.resource_class, Number(u.used));
    return [...byId.values()];
  }

  /** Moves what one consumer holds to another (a resize's old flavor to its migration). */
  async moveAllocations(trx: Executor, from: string, to: string): Promise<void> {
    await trx.updateTable("allocations").set({ consumer_id: to }).where("consumer_id", "=", from).execute();
  }

  async allocate(
    trx: Executor,
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
    if (rows.length > 0) await trx.insertInto("allocations").values(rows).execute();
  }

  /** Drops everything the consumer holds, on every provider. */
  async release(consumerId: string, executor: Executor = this.db): Promise<void> {
    await executor.deleteFrom("allocations").where("consumer_id", "=", consumerId).execute();
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
