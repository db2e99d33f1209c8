import { isoMicros } from "../../../clock.js";
import type { Service } from "../../../services/compute/host-service.js";
import type { ApiVersion } from "../microversion.js";

interface Field {
  key: string;
  min?: string;
  max?: string;
  value: (s: Service) => unknown;
}

/** nova's _get_service_detail: the uuid replaces the integer id from 2.53; forced_down from 2.11. */
const FIELDS: Field[] = [
  { key: "binary", value: (s) => s.binary },
  { key: "host", value: (s) => s.host },
  { key: "id", max: "2.52", value: (s) => s.id },
  { key: "id", min: "2.53", value: (s) => s.uuid },
  { key: "zone", value: (s) => s.zone },
  { key: "status", value: (s) => (s.disabled ? "disabled" : "enabled") },
  { key: "state", value: (s) => (s.up ? "up" : "down") },
  { key: "updated_at", value: (s) => (s.updatedAt ? isoMicros(s.updatedAt) : null) },
  { key: "disabled_reason", value: (s) => s.disabledReason },
  { key: "forced_down", min: "2.11", value: (s) => s.forcedDown },
];

/** A service in a list, or in the answer to a 2.53 update. */
export function serviceView(service: Service, version: ApiVersion): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of FIELDS) {
    if (version.within(field.min, field.max) || (version.isLegacyV2 && !field.min))
      out[field.key] = field.value(service);
  }
  return out;
}
