import type { Kysely } from "kysely";

// Neutron's security groups and their rules, and which groups each port is in.
//
// - default_security_groups is Neutron's own table of that name: its primary key on
//   project_id is what makes a project's default group exist once, whichever of two
//   concurrent first uses gets there first (the other's insert finds the key taken).
// - A rule belongs to its group (deleted with it); remote_group_id names a group whose
//   members the rule admits, so a rule also goes when the group it names goes, as
//   Neutron's ON DELETE CASCADE does.
// - port_security_groups goes with its port; a group in use by a port cannot be deleted,
//   which the service checks (SecurityGroupInUse) and the foreign key backs up.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("security_groups")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("project_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("stateful", "integer", (c) => c.notNull())
    .addColumn("revision_number", "integer", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("security_groups_project").on("security_groups").column("project_id").execute();

  await db.schema
    .createTable("default_security_groups")
    .addColumn("project_id", "text", (c) => c.primaryKey())
    .addColumn("security_group_id", "text", (c) =>
      c.notNull().references("security_groups.id").onDelete("cascade"),
    )
    .execute();

  await db.schema
    .createTable("security_group_rules")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("security_group_id", "text", (c) =>
      c.notNull().references("security_groups.id").onDelete("cascade"),
    )
    .addColumn("project_id", "text", (c) => c.notNull())
    .addColumn("direction", "text", (c) => c.notNull())
    .addColumn("ethertype", "text", (c) => c.notNull())
    .addColumn("protocol", "text")
    .addColumn("port_range_min", "integer")
    .addColumn("port_range_max", "integer")
    .addColumn("remote_ip_prefix", "text")
    .addColumn("remote_group_id", "text", (c) => c.references("security_groups.id").onDelete("cascade"))
    .addColumn("remote_address_group_id", "text")
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("revision_number", "integer", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("security_group_rules_group")
    .on("security_group_rules")
    .column("security_group_id")
    .execute();
  await db.schema
    .createIndex("security_group_rules_remote_group")
    .on("security_group_rules")
    .column("remote_group_id")
    .execute();

  await db.schema
    .createTable("port_security_groups")
    .addColumn("port_id", "text", (c) => c.notNull().references("ports.id").onDelete("cascade"))
    .addColumn("security_group_id", "text", (c) => c.notNull().references("security_groups.id"))
    .addPrimaryKeyConstraint("port_security_groups_pk", ["port_id", "security_group_id"])
    .execute();
  await db.schema
    .createIndex("port_security_groups_group")
    .on("port_security_groups")
    .column("security_group_id")
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    "port_security_groups",
    "security_group_rules",
    "default_security_groups",
    "security_groups",
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
