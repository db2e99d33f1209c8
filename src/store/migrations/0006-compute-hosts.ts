import type { Kysely } from "kysely";
import { autoId } from "./support.js";

// Compute hosts, as nova's `services` and `compute_nodes` tables keep them:
//
// - services: one row per nova service a process runs (nova-conductor and nova-scheduler
//   on the control host, nova-compute on each compute host), with nova's integer id and
//   uuid (2.53), the operator's enable/disable and forced_down flags, and the heartbeat
//   (report_count, last_seen_up) that decides "up" or "down". A deleted service keeps its
//   row (deleted_at), so its integer id is never handed out again; a process that starts
//   on that host registers a new one.
// - compute_nodes: one row per hypervisor, with nova's integer id and uuid (2.53) and the
//   capacity its driver reported when the host registered. The row outlives a deleted
//   service, so a host that comes back keeps its hypervisor ids, as nova's persistent
//   node identity does.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("services")
    .addColumn("id", autoId(db), (c) => c.primaryKey())
    .addColumn("uuid", "text", (c) => c.notNull().unique())
    .addColumn("host", "text", (c) => c.notNull())
    .addColumn("binary", "text", (c) => c.notNull())
    .addColumn("disabled", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("disabled_reason", "text")
    .addColumn("forced_down", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("report_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_seen_up", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text")
    .addColumn("deleted_at", "text")
    .execute();
  await db.schema.createIndex("services_host_binary").on("services").columns(["host", "binary"]).execute();

  await db.schema
    .createTable("compute_nodes")
    .addColumn("id", autoId(db), (c) => c.primaryKey())
    .addColumn("uuid", "text", (c) => c.notNull().unique())
    .addColumn("host", "text", (c) => c.notNull())
    .addColumn("hypervisor_hostname", "text", (c) => c.notNull().unique())
    .addColumn("hypervisor_type", "text", (c) => c.notNull())
    .addColumn("hypervisor_version", "integer", (c) => c.notNull())
    .addColumn("vcpus", "integer", (c) => c.notNull())
    .addColumn("memory_mb", "integer", (c) => c.notNull())
    .addColumn("local_gb", "integer", (c) => c.notNull())
    .addColumn("cpu_info", "text", (c) => c.notNull())
    .addColumn("host_ip", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text")
    .execute();

  // the hypervisor usage and tenant usage queries select servers by host and by life window
  await db.schema.createIndex("instances_host").on("instances").columns(["host", "deleted"]).execute();
  await db.schema
    .createIndex("instances_launched")
    .on("instances")
    .columns(["launched_at", "terminated_at"])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("instances_launched").execute();
  await db.schema.dropIndex("instances_host").execute();
  await db.schema.dropTable("compute_nodes").execute();
  await db.schema.dropIndex("services_host_binary").execute();
  await db.schema.dropTable("services").execute();
}
