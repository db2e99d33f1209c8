import type { Kysely } from "kysely";

// Neutron's core resources (issue 7): networks, subnets, ports and the IPs ports hold.
// The older fixed_ips table stays: compute allocates from it until it asks this API.
//
// - Neutron's standard attributes (description, revision_number, created_at, updated_at)
//   are columns of each resource; tags live in one table keyed by resource id (ids are
//   UUIDs, so one table serves every resource type; the service deletes them with the
//   resource, there being no single parent to cascade from).
// - A subnet's allocation pools, dns nameservers and host routes are ordered lists that
//   are only ever read and replaced whole with their subnet: JSON text columns.
// - port_ip_allocations is the IPAM record: UNIQUE (subnet_id, ip_address) makes the
//   database refuse a second holder of an address, whatever the service got wrong.
// - Booleans are 0/1 and times ISO 8601 UTC text, as in every nimbus table.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("networks")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("project_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("admin_state_up", "integer", (c) => c.notNull())
    .addColumn("shared", "integer", (c) => c.notNull())
    .addColumn("external", "integer", (c) => c.notNull())
    .addColumn("mtu", "integer", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("availability_zone_hints", "text", (c) => c.notNull())
    .addColumn("network_type", "text", (c) => c.notNull())
    .addColumn("physical_network", "text")
    .addColumn("segmentation_id", "integer")
    .addColumn("revision_number", "integer", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("networks_project").on("networks").column("project_id").execute();

  await db.schema
    .createTable("subnets")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("network_id", "text", (c) => c.notNull().references("networks.id"))
    .addColumn("project_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("ip_version", "integer", (c) => c.notNull())
    .addColumn("cidr", "text", (c) => c.notNull())
    .addColumn("gateway_ip", "text")
    .addColumn("enable_dhcp", "integer", (c) => c.notNull())
    .addColumn("ipv6_ra_mode", "text")
    .addColumn("ipv6_address_mode", "text")
    .addColumn("allocation_pools", "text", (c) => c.notNull())
    .addColumn("dns_nameservers", "text", (c) => c.notNull())
    .addColumn("host_routes", "text", (c) => c.notNull())
    .addColumn("revision_number", "integer", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("subnets_network").on("subnets").column("network_id").execute();

  await db.schema
    .createTable("ports")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("network_id", "text", (c) => c.notNull().references("networks.id"))
    .addColumn("project_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("mac_address", "text", (c) => c.notNull())
    .addColumn("admin_state_up", "integer", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("device_id", "text", (c) => c.notNull())
    .addColumn("device_owner", "text", (c) => c.notNull())
    .addColumn("port_security_enabled", "integer", (c) => c.notNull())
    .addColumn("allowed_address_pairs", "text", (c) => c.notNull())
    .addColumn("binding_host_id", "text", (c) => c.notNull())
    .addColumn("binding_vnic_type", "text", (c) => c.notNull())
    .addColumn("binding_vif_type", "text", (c) => c.notNull())
    .addColumn("revision_number", "integer", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    // Neutron's own constraint: a MAC names one port per network
    .addUniqueConstraint("ports_network_mac", ["network_id", "mac_address"])
    .execute();
  await db.schema.createIndex("ports_project").on("ports").column("project_id").execute();

  await db.schema
    .createTable("port_ip_allocations")
    .addColumn("port_id", "text", (c) => c.notNull().references("ports.id").onDelete("cascade"))
    .addColumn("subnet_id", "text", (c) => c.notNull().references("subnets.id"))
    .addColumn("ip_address", "text", (c) => c.notNull())
    .addUniqueConstraint("port_ip_allocations_subnet_ip", ["subnet_id", "ip_address"])
    .execute();
  await db.schema
    .createIndex("port_ip_allocations_port")
    .on("port_ip_allocations")
    .column("port_id")
    .execute();

  await db.schema
    .createTable("network_tags")
    .addColumn("resource_id", "text", (c) => c.notNull())
    .addColumn("tag", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("network_tags_pk", ["resource_id", "tag"])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["network_tags", "port_ip_allocations", "ports", "subnets", "networks"]) {
    await db.schema.dropTable(table).execute();
  }
}
