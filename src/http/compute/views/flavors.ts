import type { Flavor } from "../../../services/compute/flavor-service.js";
import type { Links } from "../links.js";
import type { ApiVersion } from "../microversion.js";

export interface FlavorViewContext {
  version: ApiVersion;
  links: Links;
  /** From 2.61 the detailed view shows extra_specs to callers the extra-specs index policy allows. */
  showExtraSpecs: boolean;
}

/** One field of a flavor view and the microversion range it appears in. */
interface Field {
  key: string;
  min?: string;
  max?: string;
  /** Shown only when the caller may read extra specs. */
  extraSpecs?: boolean;
  value: (f: Flavor, v: FlavorViewContext) => unknown;
}

const links = (f: Flavor, v: FlavorViewContext) => v.links.pair("flavors", f.flavorid);

/** GET /flavors entries (nova's ViewBuilder.basic). */
const SUMMARY: Field[] = [
  { key: "id", value: (f) => f.flavorid },
  { key: "name", value: (f) => f.name },
  { key: "links", value: links },
  { key: "description", min: "2.55", value: (f) => f.description },
];

/** Show, detail, create and update (nova's ViewBuilder.show). */
const DETAIL: Field[] = [
  { key: "id", value: (f) => f.flavorid },
  { key: "name", value: (f) => f.name },
  { key: "ram", value: (f) => f.memory_mb },
  { key: "disk", value: (f) => f.root_gb },
  // 0 swap read "" until 2.75
  { key: "swap", max: "2.74", value: (f) => f.swap || "" },
  { key: "swap", min: "2.75", value: (f) => f.swap },
  { key: "OS-FLV-EXT-DATA:ephemeral", value: (f) => f.ephemeral_gb },
  { key: "OS-FLV-DISABLED:disabled", max: "2.101", value: (f) => f.disabled },
  { key: "vcpus", value: (f) => f.vcpus },
  { key: "os-flavor-access:is_public", value: (f) => f.is_public },
  { key: "rxtx_factor", max: "2.101", value: (f) => f.rxtx_factor || "" },
  { key: "links", value: links },
  { key: "description", min: "2.55", value: (f) => f.description },
  { key: "extra_specs", min: "2.61", extraSpecs: true, value: (f) => f.extraSpecs },
];

function render(fields: Field[], flavor: Flavor, v: FlavorViewContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    if (!v.version.within(field.min, field.max)) continue;
    if (field.extraSpecs && !v.showExtraSpecs) continue;
    out[field.key] = field.value(flavor, v);
  }
  return out;
}

export function flavorSummary(flavor: Flavor, v: FlavorViewContext): Record<string, unknown> {
  return render(SUMMARY, flavor, v);
}

export function flavorDetail(flavor: Flavor, v: FlavorViewContext): Record<string, unknown> {
  return render(DETAIL, flavor, v);
}

/** `{"flavor_access": [{flavor_id, tenant_id}]}` of the flavor-access API. */
export function flavorAccessView(flavorid: string, projects: string[]) {
  return { flavor_access: projects.map((tenant_id) => ({ flavor_id: flavorid, tenant_id })) };
}
