import type { Kysely } from "kysely";

// Neutron's auto_allocated_topologies: a project's one auto-allocated network and router.
//
// - The row is claimed before the topology is built (network_id still NULL), with the
//   private range the project's subnet takes: the primary key keeps two concurrent first
//   calls of one project on one row, the unique cidr keeps two projects off one range.
// - Deleting the network deletes the row (and frees its range), deleting the router
//   clears router_id, as Neutron's foreign keys do.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("auto_allocated_topologies")
    .addColumn("project_id", "text", (c) => c.primaryKey())
    .addColumn("cidr", "text", (c) => c.notNull().unique())
    .addColumn("network_id", "text", (c) => c.references("networks.id").onDelete("cascade"))
    .addColumn("router_id", "text", (c) => c.references("routers.id").onDelete("set null"))
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("auto_allocated_topologies").execute();
}
