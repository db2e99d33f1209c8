import type { Kysely } from "kysely";

// Neutron's L3 resources: routers (with their gateway and interfaces) and floating IPs.
//
// - A router's gateway is a port on an external network (gw_port_id); its interfaces are
//   ports listed in router_ports, as Neutron's routerports table lists them. The ports
//   themselves, and their addresses, are ordinary rows of ports and port_ip_allocations.
// - A floating IP holds its address through a port of its own (floating_port_id). Its
//   association is fixed_port_id + fixed_ip_address (+ router_id). Deleting the fixed port
//   lets go of it (ON DELETE SET NULL): the service reads a floating IP without a fixed
//   port as unassociated, whatever fixed_ip_address and router_id still say.
// - UNIQUE (floating_network_id, fixed_port_id, fixed_ip_address) is Neutron's own
//   constraint: one floating IP per fixed IP and external network, even when two
//   associations race.
// - routes (extraroute) is a JSON array, read and replaced whole with its router.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("routers")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("project_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("admin_state_up", "integer", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("gw_port_id", "text", (c) => c.references("ports.id"))
    .addColumn("enable_snat", "integer", (c) => c.notNull())
    .addColumn("routes", "text", (c) => c.notNull())
    .addColumn("revision_number", "integer", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("routers_project").on("routers").column("project_id").execute();

  await db.schema
    .createTable("router_ports")
    .addColumn("port_id", "text", (c) => c.primaryKey().references("ports.id").onDelete("cascade"))
    .addColumn("router_id", "text", (c) => c.notNull().references("routers.id"))
    .addColumn("port_type", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("router_ports_router").on("router_ports").column("router_id").execute();

  await db.schema
    .createTable("floatingips")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("project_id", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("floating_ip_address", "text", (c) => c.notNull())
    .addColumn("floating_network_id", "text", (c) => c.notNull().references("networks.id"))
    .addColumn("floating_port_id", "text", (c) => c.notNull().unique().references("ports.id"))
    .addColumn("fixed_port_id", "text", (c) => c.references("ports.id").onDelete("set null"))
    .addColumn("fixed_ip_address", "text")
    .addColumn("router_id", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("revision_number", "integer", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addUniqueConstraint("floatingips_network_fixed_port_ip", [
      "floating_network_id",
      "fixed_port_id",
      "fixed_ip_address",
    ])
    .execute();
  await db.schema.createIndex("floatingips_project").on("floatingips").column("project_id").execute();
  await db.schema.createIndex("floatingips_router").on("floatingips").column("router_id").execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["floatingips", "router_ports", "routers"]) await db.schema.dropTable(table).execute();
}
