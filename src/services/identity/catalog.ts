import { createHash } from "node:crypto";

export const REGION = "RegionOne";
export const INTERFACES = ["public", "internal", "admin"] as const;
export type Interface = (typeof INTERFACES)[number];

export interface CatalogEndpoint {
  id: string;
  interface: Interface;
  region: string;
  region_id: string;
  url: string;
}

/** One service of the catalog, in Keystone's token catalog format. */
export interface CatalogService {
  id: string;
  type: string;
  name: string;
  endpoints: CatalogEndpoint[];
}

/** The services nimbus serves, and where under the public URL each one lives. */
const SERVICES = [
  { type: "identity", name: "keystone", path: "/identity", description: "Identity Service" },
  { type: "compute", name: "nova", path: "/compute/v2.1", description: "Compute Service" },
  { type: "image", name: "glance", path: "/image", description: "Image Service" },
  { type: "network", name: "neutron", path: "/network", description: "Network Service" },
  { type: "placement", name: "placement", path: "/placement", description: "Placement Service" },
] as const;

/** A Keystone-style id (32 hex digits) that stays the same across restarts and processes. */
function stableId(...parts: string[]): string {
  return createHash("sha256")
    .update(`nimbus:${parts.join(":")}`)
    .digest("hex")
    .slice(0, 32);
}

export function serviceDescription(type: string): string | undefined {
  return SERVICES.find((s) => s.type === type)?.description;
}

/**
 * The service catalog, derived from the public URL rather than stored: every
 * process of a deployment computes the same catalog with the same ids (ids depend
 * on service type and interface only, so they survive a change of URL).
 */
export function buildCatalog(publicUrl: string): CatalogService[] {
  const base = publicUrl.replace(/\/+$/, "");
  return SERVICES.map((service) => ({
    id: stableId("service", service.type),
    type: service.type,
    name: service.name,
    endpoints: INTERFACES.map((iface) => ({
      id: stableId("endpoint", service.type, iface),
      interface: iface,
      region: REGION,
      region_id: REGION,
      url: `${base}${service.path}`,
    })),
  }));
}
