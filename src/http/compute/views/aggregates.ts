import { isoMicros } from "../../../clock.js";
import type { Aggregate } from "../../../services/compute/aggregate-service.js";
import type { ApiVersion } from "../microversion.js";

/** The create answer leaves out hosts and metadata (nova kept its pre-object shape); every other view has them. */
export type AggregateViewKind = "create" | "full";

interface Field {
  key: string;
  min?: string;
  fullOnly?: boolean;
  value: (a: Aggregate) => unknown;
}

/**
 * nova's aggregate object fields with timezone-less timestamps; the soft-delete fields are
 * constants (nova deletes aggregate rows), `uuid` is shown from 2.41.
 */
const FIELDS: Field[] = [
  { key: "availability_zone", value: (a) => a.availabilityZone },
  { key: "created_at", value: (a) => isoMicros(a.createdAt) },
  { key: "deleted", value: () => false },
  { key: "deleted_at", value: () => null },
  { key: "hosts", fullOnly: true, value: (a) => a.hosts },
  { key: "id", value: (a) => a.id },
  { key: "metadata", fullOnly: true, value: (a) => a.metadata },
  { key: "name", value: (a) => a.name },
  { key: "updated_at", value: (a) => (a.updatedAt === null ? null : isoMicros(a.updatedAt)) },
  { key: "uuid", min: "2.41", value: (a) => a.uuid },
];

export function aggregateView(aggregate: Aggregate, version: ApiVersion, kind: AggregateViewKind = "full") {
  const out: Record<string, unknown> = {};
  for (const field of FIELDS) {
    if (field.fullOnly && kind === "create") continue;
    if (version.within(field.min)) out[field.key] = field.value(aggregate);
  }
  return out;
}
