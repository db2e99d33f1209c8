import type { Kysely } from "kysely";
import { autoId } from "./support.js";

// Dialect-neutral types only (text, integer, bigint, and autoId for the keys the database
// assigns): the same migration runs on SQLite and PostgreSQL. Times are ISO 8601 UTC
// strings, booleans 0/1, JSON as text.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("projects")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("domain_id", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("enabled", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addUniqueConstraint("projects_domain_name", ["domain_id", "name"])
    .execute();

  await db.schema
    .createTable("users")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("domain_id", "text", (c) => c.notNull())
    .addColumn("password_hash", "text")
    .addColumn("email", "text")
    .addColumn("description", "text")
    .addColumn("default_project_id", "text")
    .addColumn("enabled", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addUniqueConstraint("users_domain_name", ["domain_id", "name"])
    .execute();

  await db.schema
    .createTable("roles")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull().unique())
    .execute();

  await db.schema
    .createTable("role_assignments")
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id").onDelete("cascade"))
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("role_id", "text", (c) => c.notNull().references("roles.id").onDelete("cascade"))
    .addPrimaryKeyConstraint("role_assignments_pk", ["project_id", "user_id", "role_id"])
    .execute();

  await db.schema
    .createTable("tokens")
    .addColumn("id_hash", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("project_id", "text")
    .addColumn("methods", "text", (c) => c.notNull())
    .addColumn("audit_id", "text", (c) => c.notNull())
    .addColumn("issued_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("revoked", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex("tokens_expires_at").on("tokens").column("expires_at").execute();

  await db.schema
    .createTable("flavors")
    .addColumn("flavorid", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull().unique())
    .addColumn("vcpus", "integer", (c) => c.notNull())
    .addColumn("memory_mb", "integer", (c) => c.notNull())
    .addColumn("root_gb", "integer", (c) => c.notNull())
    .addColumn("ephemeral_gb", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("swap", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("rxtx_factor", "real", (c) => c.notNull().defaultTo(1))
    .addColumn("is_public", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("disabled", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("description", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text")
    .execute();

  await db.schema
    .createTable("flavor_extra_specs")
    .addColumn("flavorid", "text", (c) => c.notNull().references("flavors.flavorid").onDelete("cascade"))
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("value", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("flavor_extra_specs_pk", ["flavorid", "key"])
    .execute();

  await db.schema
    .createTable("flavor_projects")
    .addColumn("flavorid", "text", (c) => c.notNull().references("flavors.flavorid").onDelete("cascade"))
    .addColumn("project_id", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("flavor_projects_pk", ["flavorid", "project_id"])
    .execute();

  await db.schema
    .createTable("keypairs")
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("project_id", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("public_key", "text", (c) => c.notNull())
    .addColumn("fingerprint", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("keypairs_pk", ["user_id", "name"])
    .execute();

  await db.schema
    .createTable("images")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("visibility", "text", (c) => c.notNull())
    .addColumn("owner", "text")
    .addColumn("container_format", "text")
    .addColumn("disk_format", "text")
    .addColumn("size", "bigint")
    .addColumn("virtual_size", "bigint")
    .addColumn("checksum", "text")
    .addColumn("os_hash_algo", "text")
    .addColumn("os_hash_value", "text")
    .addColumn("min_disk", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("min_ram", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("protected", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("tags", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("properties", "text", (c) => c.notNull().defaultTo("{}"))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("instances")
    .addColumn("uuid", "text", (c) => c.primaryKey())
    .addColumn("project_id", "text", (c) => c.notNull())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("display_name", "text", (c) => c.notNull())
    .addColumn("display_description", "text")
    .addColumn("hostname", "text", (c) => c.notNull())
    .addColumn("image_ref", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("image_properties", "text", (c) => c.notNull().defaultTo("{}"))
    .addColumn("flavor_id", "text", (c) => c.notNull())
    .addColumn("flavor", "text", (c) => c.notNull())
    .addColumn("old_flavor", "text")
    .addColumn("new_flavor", "text")
    .addColumn("vcpus", "integer", (c) => c.notNull())
    .addColumn("memory_mb", "integer", (c) => c.notNull())
    .addColumn("vm_state", "text", (c) => c.notNull())
    .addColumn("task_state", "text")
    .addColumn("power_state", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("host", "text")
    .addColumn("node", "text")
    .addColumn("availability_zone", "text")
    .addColumn("pinned_availability_zone", "text")
    .addColumn("key_name", "text")
    .addColumn("key_data", "text")
    .addColumn("user_data", "text")
    .addColumn("access_ip_v4", "text")
    .addColumn("access_ip_v6", "text")
    .addColumn("reservation_id", "text", (c) => c.notNull())
    .addColumn("launch_index", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("config_drive", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("locked", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("locked_by", "text")
    .addColumn("locked_reason", "text")
    .addColumn("progress", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("root_device_name", "text")
    .addColumn("trusted_certs", "text")
    .addColumn("scheduler_hints", "text", (c) => c.notNull().defaultTo("{}"))
    .addColumn("security_groups", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("block_device_mapping", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("networks", "text", (c) => c.notNull().defaultTo('"auto"'))
    .addColumn("admin_pass", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addColumn("launched_at", "text")
    .addColumn("terminated_at", "text")
    .addColumn("deleted_at", "text")
    .addColumn("deleted", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createIndex("instances_project_created")
    .on("instances")
    .columns(["project_id", "deleted", "created_at"])
    .execute();
  await db.schema
    .createIndex("instances_created")
    .on("instances")
    .columns(["deleted", "created_at"])
    .execute();
  await db.schema.createIndex("instances_updated").on("instances").column("updated_at").execute();

  await db.schema
    .createTable("instance_metadata")
    .addColumn("instance_uuid", "text", (c) => c.notNull().references("instances.uuid").onDelete("cascade"))
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("value", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("instance_metadata_pk", ["instance_uuid", "key"])
    .execute();

  await db.schema
    .createTable("instance_tags")
    .addColumn("instance_uuid", "text", (c) => c.notNull().references("instances.uuid").onDelete("cascade"))
    .addColumn("tag", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("instance_tags_pk", ["instance_uuid", "tag"])
    .execute();

  await db.schema
    .createTable("instance_faults")
    .addColumn("instance_uuid", "text", (c) =>
      c.primaryKey().references("instances.uuid").onDelete("cascade"),
    )
    .addColumn("code", "integer", (c) => c.notNull())
    .addColumn("message", "text", (c) => c.notNull())
    .addColumn("details", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("fixed_ips")
    .addColumn("address", "text", (c) => c.primaryKey())
    .addColumn("network", "text", (c) => c.notNull())
    .addColumn("instance_uuid", "text", (c) => c.references("instances.uuid").onDelete("set null"))
    .addColumn("mac_address", "text")
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("fixed_ips_instance").on("fixed_ips").column("instance_uuid").execute();

  await db.schema
    .createTable("instance_actions")
    .addColumn("id", autoId(db), (c) => c.primaryKey())
    .addColumn("request_id", "text", (c) => c.notNull())
    .addColumn("instance_uuid", "text", (c) => c.notNull().references("instances.uuid").onDelete("cascade"))
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("project_id", "text", (c) => c.notNull())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("message", "text")
    .addColumn("start_time", "text", (c) => c.notNull())
    .addColumn("finish_time", "text")
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("instance_actions_instance")
    .on("instance_actions")
    .columns(["instance_uuid", "start_time"])
    .execute();

  await db.schema
    .createTable("instance_action_events")
    .addColumn("id", autoId(db), (c) => c.primaryKey())
    .addColumn("action_id", "integer", (c) =>
      c.notNull().references("instance_actions.id").onDelete("cascade"),
    )
    .addColumn("event", "text", (c) => c.notNull())
    .addColumn("start_time", "text", (c) => c.notNull())
    .addColumn("finish_time", "text")
    .addColumn("result", "text")
    .addColumn("traceback", "text")
    .addColumn("host", "text")
    .addColumn("details", "text")
    .execute();
  await db.schema
    .createIndex("instance_action_events_action")
    .on("instance_action_events")
    .column("action_id")
    .execute();

  await db.schema
    .createTable("tasks")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("instance_uuid", "text")
    .addColumn("action_id", "integer")
    .addColumn("host", "text")
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("step", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("payload", "text", (c) => c.notNull().defaultTo("{}"))
    .addColumn("lease_owner", "text")
    .addColumn("lease_expires_at", "text")
    .addColumn("run_after", "text", (c) => c.notNull())
    .addColumn("last_error", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("tasks_claim").on("tasks").columns(["state", "run_after"]).execute();

  await db.schema
    .createTable("quotas")
    .addColumn("project_id", "text", (c) => c.notNull())
    .addColumn("resource", "text", (c) => c.notNull())
    .addColumn("hard_limit", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("quotas_pk", ["project_id", "resource"])
    .execute();

  // One row per project that quota-checked work locks first, so that concurrent
  // requests of one project serialise their check-and-insert on PostgreSQL too.
  await db.schema
    .createTable("quota_locks")
    .addColumn("project_id", "text", (c) => c.primaryKey())
    .addColumn("version", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    "quota_locks",
    "quotas",
    "tasks",
    "instance_action_events",
    "instance_actions",
    "fixed_ips",
    "instance_faults",
    "instance_tags",
    "instance_metadata",
    "instances",
    "images",
    "keypairs",
    "flavor_projects",
    "flavor_extra_specs",
    "flavors",
    "tokens",
    "role_assignments",
    "roles",
    "users",
    "projects",
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
