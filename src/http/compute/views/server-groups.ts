import type { ServerGroup } from "../../../services/compute/server-group-service.js";
import type { ApiVersion } from "../microversion.js";

interface Field {
  key: string;
  min?: string;
  max?: string;
  value: (g: ServerGroup) => unknown;
}

/**
 * nova's server group view (ServerGroupController._format_server_group): `policies` and an
 * always-empty `metadata` until 2.63, `policy` and `rules` from 2.64, the owner from 2.13.
 * Every version shows the same four policies: one made at 2.15+ shows as it is at 2.1.
 */
const FIELDS: Field[] = [
  { key: "id", value: (g) => g.uuid },
  { key: "name", value: (g) => g.name },
  { key: "policy", min: "2.64", value: (g) => g.policy },
  { key: "rules", min: "2.64", value: (g) => g.rules },
  { key: "policies", max: "2.63", value: (g) => [g.policy] },
  { key: "metadata", max: "2.63", value: () => ({}) },
  { key: "members", value: (g) => g.members },
  { key: "project_id", min: "2.13", value: (g) => g.projectId },
  { key: "user_id", min: "2.13", value: (g) => g.userId },
];

/** The `server_group` object of show, create and list entries at the request's microversion. */
export function serverGroupView(group: ServerGroup, version: ApiVersion): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of FIELDS) {
    if (version.within(field.min, field.max)) out[field.key] = field.value(group);
  }
  return out;
}
