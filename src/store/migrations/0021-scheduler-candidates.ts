import type { Kysely } from "kysely";

// What lets the scheduler ask for a few hosts that fit instead of reading every host
// (placement's allocation candidates bounded as nova's max_placement_results bounds them):
//
// - inventories.capacity: (total - reserved) x allocation_ratio, rounded down, kept when the
//   inventory is set; inventories.used: what the provider's allocations of the class sum to,
//   kept by every allocation and release in its own transaction. A provider fits a request
//   when capacity - used covers it, read from its own rows.
// - resource_providers.free_memory_mb: what is left of its MEMORY_MB (nova's RAM weigher's
//   input), kept with `used`, and indexed with the name so that the most free RAM first
//   (the name breaking ties) is read off the index, a page at a time.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("inventories")
    .addColumn("capacity", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable("inventories")
    .addColumn("used", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable("resource_providers")
    .addColumn("free_memory_mb", "integer", (c) => c.notNull().defaultTo(0))
    .execute();

  // the existing rows: capacity rounded as placement rounds it (in JavaScript, the same on both engines)
  const inventories = await db
    .selectFrom("inventories")
    .select(["resource_provider_id", "resource_class", "total", "reserved", "allocation_ratio"])
    .execute();
  for (const i of inventories) {
    await db
      .updateTable("inventories")
      .set({ capacity: Math.floor((i.total - i.reserved) * Number(i.allocation_ratio)) })
      .where("resource_provider_id", "=", i.resource_provider_id)
      .where("resource_class", "=", i.resource_class)
      .execute();
  }
  await db
    .updateTable("inventories")
    .set((eb) => ({
      used: eb.fn.coalesce(
        eb
          .selectFrom("allocations")
          .select((a) => a.fn.sum("allocations.used").as("sum"))
          .whereRef("allocations.resource_provider_id", "=", "inventories.resource_provider_id")
          .whereRef("allocations.resource_class", "=", "inventories.resource_class"),
        eb.lit(0),
      ),
    }))
    .execute();
  await db
    .updateTable("resource_providers")
    .set((eb) => ({
      free_memory_mb: eb.fn.coalesce(
        eb
          .selectFrom("inventories")
          .select((i) => i(i.ref("inventories.capacity"), "-", i.ref("inventories.used")).as("free"))
          .whereRef("inventories.resource_provider_id", "=", "resource_providers.id")
          .where("inventories.resource_class", "=", "MEMORY_MB"),
        eb.lit(0),
      ),
    }))
    .execute();

  await db.schema
    .createIndex("resource_providers_free_memory")
    .on("resource_providers")
    .columns(["free_memory_mb desc", "name"])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("resource_providers_free_memory").execute();
  await db.schema.alterTable("resource_providers").dropColumn("free_memory_mb").execute();
  await db.schema.alterTable("inventories").dropColumn("used").execute();
  await db.schema.alterTable("inventories").dropColumn("capacity").execute();
}
