import type { Kysely } from "kysely";

// Server groups (nova's instance_groups, instance_group_policy and instance_group_member,
// folded into two tables: a group has exactly one policy since nova 2.64).
//
// `rules` is the group's JSON rules object ({} or {"max_server_per_host": n}). Member rows
// stay when their server is deleted, as in nova (which drops them only when it archives
// deleted rows): every read joins the instances and skips deleted ones. Deleting a group
// deletes its member rows with it.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("server_groups")
    .addColumn("uuid", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("project_id", "text", (c) => c.notNull())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("policy", "text", (c) => c.notNull())
    .addColumn("rules", "text", (c) => c.notNull().defaultTo("{}"))
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("server_groups_project")
    .on("server_groups")
    .columns(["project_id", "created_at"])
    .execute();

  await db.schema
    .createTable("server_group_members")
    .addColumn("group_uuid", "text", (c) => c.notNull().references("server_groups.uuid").onDelete("cascade"))
    .addColumn("instance_uuid", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("server_group_members_pk", ["group_uuid", "instance_uuid"])
    .execute();
  await db.schema
    .createIndex("server_group_members_instance")
    .on("server_group_members")
    .column("instance_uuid")
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("server_group_members").execute();
  await db.schema.dropTable("server_groups").execute();
}
