import type { QuotaResource, QuotaUsage } from "../../../services/quota/quota-service.js";
import type { ApiVersion } from "../microversion.js";

interface LimitField {
  key: string;
  resource: QuotaResource;
  /** The resource's limit, or its usage. */
  of: "limit" | "in_use";
  max?: string;
}

/** nova's limits ViewBuilder: absolute limits and usage counters, and the last version each appears in. */
const ABSOLUTE: LimitField[] = [
  { key: "maxTotalRAMSize", resource: "ram", of: "limit" },
  { key: "maxTotalInstances", resource: "instances", of: "limit" },
  { key: "maxTotalCores", resource: "cores", of: "limit" },
  { key: "maxTotalKeypairs", resource: "key_pairs", of: "limit" },
  { key: "maxTotalFloatingIps", resource: "floating_ips", of: "limit", max: "2.35" },
  { key: "maxServerMeta", resource: "metadata_items", of: "limit" },
  { key: "maxImageMeta", resource: "metadata_items", of: "limit", max: "2.38" },
  { key: "maxPersonality", resource: "injected_files", of: "limit", max: "2.56" },
  { key: "maxPersonalitySize", resource: "injected_file_content_bytes", of: "limit", max: "2.56" },
  { key: "maxSecurityGroups", resource: "security_groups", of: "limit", max: "2.35" },
  { key: "maxSecurityGroupRules", resource: "security_group_rules", of: "limit", max: "2.35" },
  { key: "maxServerGroups", resource: "server_groups", of: "limit" },
  { key: "maxServerGroupMembers", resource: "server_group_members", of: "limit" },
  { key: "totalRAMUsed", resource: "ram", of: "in_use" },
  { key: "totalCoresUsed", resource: "cores", of: "in_use" },
  { key: "totalInstancesUsed", resource: "instances", of: "in_use" },
  { key: "totalFloatingIpsUsed", resource: "floating_ips", of: "in_use", max: "2.35" },
  { key: "totalSecurityGroupsUsed", resource: "security_groups", of: "in_use", max: "2.35" },
  { key: "totalServerGroupsUsed", resource: "server_groups", of: "in_use" },
];

/** `{"limits": {"rate": [], "absolute": {...}}}`: rate limits no longer exist in nova. */
export function limitsView(quotas: Record<QuotaResource, QuotaUsage>, version: ApiVersion) {
  const absolute: Record<string, number> = {};
  for (const field of ABSOLUTE) {
    if (version.within(null, field.max)) absolute[field.key] = quotas[field.resource][field.of];
  }
  return { limits: { rate: [], absolute } };
}
