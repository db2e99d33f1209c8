import { isoMicros } from "../../../clock.js";
import { LIVE_MIGRATION_IN_PROGRESS, MigrationType } from "../../../services/compute/migration-records.js";
import type { MigrationRow } from "../../../store/schema.js";
import type { Links } from "../links.js";
import type { ApiVersion } from "../microversion.js";

export interface MigrationViewContext {
  version: ApiVersion;
  links: Links;
  /**
   * Whether the caller may see where migrations go (the `...:index:host` policies, admin);
   * for others nova keeps the host fields, as nulls.
   */
  hosts: boolean;
}

interface Field {
  key: string;
  min?: string;
  /** A host field: null for callers who may not see hosts. */
  host?: boolean;
  /** Undefined leaves the key out. */
  value: (m: MigrationRow, c: MigrationViewContext) => unknown;
}

const time = (iso: string | null) => (iso === null ? null : isoMicros(iso));

/**
 * nova shows its flavors' row ids; nimbus keeps none, so a flavorid stands in when it is
 * an integer (the default flavors' are), null otherwise.
 */
const flavorId = (flavorid: string | null) =>
  flavorid !== null && /^\d+$/.test(flavorid) ? Number(flavorid) : null;

const inProgressLiveMigration = (m: MigrationRow) =>
  m.migration_type === MigrationType.LIVE_MIGRATION && LIVE_MIGRATION_IN_PROGRESS.includes(m.status);

/**
 * GET /os-migrations: nova's Migration object less its internal fields; migration_type
 * from 2.23, with links to the server migration for live migrations in progress; uuid
 * from 2.59; who asked for it (user_id, project_id) from 2.80.
 */
const OS_MIGRATION_FIELDS: Field[] = [
  { key: "created_at", value: (m) => time(m.created_at) },
  { key: "dest_compute", host: true, value: (m) => m.dest_compute },
  { key: "dest_host", host: true, value: (m) => m.dest_host },
  { key: "dest_node", host: true, value: (m) => m.dest_node },
  { key: "id", value: (m) => m.id },
  { key: "instance_uuid", value: (m) => m.instance_uuid },
  { key: "new_instance_type_id", value: (m) => flavorId(m.new_flavor_id) },
  { key: "old_instance_type_id", value: (m) => flavorId(m.old_flavor_id) },
  { key: "source_compute", host: true, value: (m) => m.source_compute },
  { key: "source_node", host: true, value: (m) => m.source_node },
  { key: "status", value: (m) => m.status },
  { key: "updated_at", value: (m) => time(m.updated_at) },
  { key: "migration_type", min: "2.23", value: (m) => m.migration_type },
  {
    key: "links",
    min: "2.23",
    value: (m, c) =>
      inProgressLiveMigration(m) ? c.links.pair(`servers/${m.instance_uuid}/migrations`, m.id) : undefined,
  },
  { key: "uuid", min: "2.59", value: (m) => m.uuid },
  { key: "user_id", min: "2.80", value: (m) => m.user_id },
  { key: "project_id", min: "2.80", value: (m) => m.project_id },
];

/** A byte count as the store answers it (PostgreSQL's bigints come as text); null until the copy reports. */
const bytes = (value: number | string | null) => (value === null ? null : Number(value));

/**
 * GET /servers/{id}/migrations[/{id}] (2.23): a live migration with its progress, as the
 * source host last reported its copy (null before it starts; /os-migrations shows none);
 * uuid from 2.59, user_id and project_id from 2.80.
 */
const SERVER_MIGRATION_FIELDS: Field[] = [
  { key: "created_at", value: (m) => time(m.created_at) },
  { key: "dest_compute", host: true, value: (m) => m.dest_compute },
  { key: "dest_host", host: true, value: (m) => m.dest_host },
  { key: "dest_node", host: true, value: (m) => m.dest_node },
  { key: "disk_processed_bytes", value: (m) => bytes(m.disk_processed) },
  { key: "disk_remaining_bytes", value: (m) => bytes(m.disk_remaining) },
  { key: "disk_total_bytes", value: (m) => bytes(m.disk_total) },
  { key: "id", value: (m) => m.id },
  { key: "memory_processed_bytes", value: (m) => bytes(m.memory_processed) },
  { key: "memory_remaining_bytes", value: (m) => bytes(m.memory_remaining) },
  { key: "memory_total_bytes", value: (m) => bytes(m.memory_total) },
  { key: "server_uuid", value: (m) => m.instance_uuid },
  { key: "source_compute", host: true, value: (m) => m.source_compute },
  { key: "source_node", host: true, value: (m) => m.source_node },
  { key: "status", value: (m) => m.status },
  { key: "updated_at", value: (m) => time(m.updated_at) },
  { key: "uuid", min: "2.59", value: (m) => m.uuid },
  { key: "user_id", min: "2.80", value: (m) => m.user_id },
  { key: "project_id", min: "2.80", value: (m) => m.project_id },
];

function render(fields: Field[], m: MigrationRow, c: MigrationViewContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    if (!c.version.within(field.min)) continue;
    const value = field.host && !c.hosts ? null : field.value(m, c);
    if (value !== undefined) out[field.key] = value;
  }
  return out;
}

export const osMigrationView = (m: MigrationRow, c: MigrationViewContext) =>
  render(OS_MIGRATION_FIELDS, m, c);

export const serverMigrationView = (m: MigrationRow, c: MigrationViewContext) =>
  render(SERVER_MIGRATION_FIELDS, m, c);
