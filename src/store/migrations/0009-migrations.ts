import type { Kysely } from "kysely";
import { autoId } from "./support.js";

// Migration records, as nova's cell database keeps them (its `migrations` table): one row
// per resize, cold migration, live migration or evacuation of a server, written by the
// tasks that move it, with nova's status walk (pre-migrating, migrating, post-migrating,
// finished, confirmed ... or error).
//
// - id: nova's integer id (the API's key for a server's migrations); uuid from 2.59.
// - source/dest compute and node, dest_host (the destination's IP address), as nova's
//   conductor and resource tracker fill them in; null until known.
// - old/new_flavor_id: the flavors before and after (nova keeps its flavors' row ids;
//   nimbus its flavorids, shown as integers when they are ones).
// - user_id/project_id: who asked for the move, not necessarily the server's owner.
// - no soft delete: nova deletes a server's migrations with the server, so the store
//   shows only those of servers not deleted.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("migrations")
    .addColumn("id", autoId(db), (c) => c.primaryKey())
    .addColumn("uuid", "text", (c) => c.notNull().unique())
    .addColumn("instance_uuid", "text", (c) => c.notNull())
    .addColumn("migration_type", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("source_compute", "text")
    .addColumn("source_node", "text")
    .addColumn("dest_compute", "text")
    .addColumn("dest_node", "text")
    .addColumn("dest_host", "text")
    .addColumn("old_flavor_id", "text")
    .addColumn("new_flavor_id", "text")
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("project_id", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text")
    .execute();
  await db.schema.createIndex("migrations_instance_uuid").on("migrations").column("instance_uuid").execute();
  // the order of /os-migrations from 2.59 (newest first)
  await db.schema
    .createIndex("migrations_created_at_id")
    .on("migrations")
    .columns(["created_at", "id"])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("migrations_created_at_id").execute();
  await db.schema.dropIndex("migrations_instance_uuid").execute();
  await db.schema.dropTable("migrations").execute();
}
