import type { Kysely } from "kysely";
import { autoId } from "./support.js";

// Placement's tables: a resource provider per compute node (its uuid is the node's, as in
// nova), its inventories of VCPU, MEMORY_MB and DISK_GB, and the allocations consumers
// (servers, and migrations during a move) hold against them. The generation is bumped by
// every claim, which serialises the claims on one provider.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("resource_providers")
    .addColumn("id", autoId(db), (c) => c.primaryKey())
    .addColumn("uuid", "text", (c) => c.notNull().unique())
    .addColumn("name", "text", (c) => c.notNull().unique())
    .addColumn("generation", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text")
    .execute();
  await db.schema
    .createTable("inventories")
    .addColumn("resource_provider_id", "integer", (c) => c.notNull())
    .addColumn("resource_class", "text", (c) => c.notNull())
    .addColumn("total", "integer", (c) => c.notNull())
    .addColumn("reserved", "integer", (c) => c.notNull())
    .addColumn("min_unit", "integer", (c) => c.notNull())
    .addColumn("max_unit", "integer", (c) => c.notNull())
    .addColumn("step_size", "integer", (c) => c.notNull())
    .addColumn("allocation_ratio", "real", (c) => c.notNull())
    .addPrimaryKeyConstraint("inventories_pk", ["resource_provider_id", "resource_class"])
    .execute();
  await db.schema
    .createTable("allocations")
    .addColumn("id", autoId(db), (c) => c.primaryKey())
    .addColumn("resource_provider_id", "integer", (c) => c.notNull())
    .addColumn("consumer_id", "text", (c) => c.notNull())
    .addColumn("resource_class", "text", (c) => c.notNull())
    .addColumn("used", "integer", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("allocations_provider_class")
    .on("allocations")
    .columns(["resource_provider_id", "resource_class"])
    .execute();
  await db.schema.createIndex("allocations_consumer").on("allocations").column("consumer_id").execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("allocations").execute();
  await db.schema.dropTable("inventories").execute();
  await db.schema.dropTable("resource_providers").execute();
}
