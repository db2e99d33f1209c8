import type { Kysely } from "kysely";
import { autoId } from "./support.js";

// Host aggregates and quota classes, as nova's API database keeps them:
//
// - aggregates: nova's integer id (the API's key) and uuid (2.41), a unique name. nova
//   deletes aggregate rows outright (its deleted/deleted_at fields are constants), so
//   there is no soft delete here either.
// - aggregate_hosts: the compute hosts of an aggregate, in the order they were added
//   (nova lists them by row id); a host is in an aggregate at most once.
// - aggregate_metadata: key/value pairs; `availability_zone` among them gives the
//   aggregate's hosts their availability zone.
// - quota_classes: limits per class and resource. Only the `default` class has an
//   effect (it replaces the built-in default limits); nova stores any other name too.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("aggregates")
    .addColumn("id", autoId(db), (c) => c.primaryKey())
    .addColumn("uuid", "text", (c) => c.notNull().unique())
    .addColumn("name", "text", (c) => c.notNull().unique())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text")
    .execute();

  await db.schema
    .createTable("aggregate_hosts")
    .addColumn("id", autoId(db), (c) => c.primaryKey())
    .addColumn("aggregate_id", "integer", (c) => c.notNull().references("aggregates.id").onDelete("cascade"))
    .addColumn("host", "text", (c) => c.notNull())
    .addUniqueConstraint("aggregate_hosts_aggregate_host", ["aggregate_id", "host"])
    .execute();
  await db.schema.createIndex("aggregate_hosts_host").on("aggregate_hosts").column("host").execute();

  await db.schema
    .createTable("aggregate_metadata")
    .addColumn("aggregate_id", "integer", (c) => c.notNull().references("aggregates.id").onDelete("cascade"))
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("value", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("aggregate_metadata_pk", ["aggregate_id", "key"])
    .execute();

  await db.schema
    .createTable("quota_classes")
    .addColumn("class_name", "text", (c) => c.notNull())
    .addColumn("resource", "text", (c) => c.notNull())
    .addColumn("hard_limit", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("quota_classes_pk", ["class_name", "resource"])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("quota_classes").execute();
  await db.schema.dropTable("aggregate_metadata").execute();
  await db.schema.dropIndex("aggregate_hosts_host").execute();
  await db.schema.dropTable("aggregate_hosts").execute();
  await db.schema.dropTable("aggregates").execute();
}
