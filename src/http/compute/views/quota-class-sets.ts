import {
  QUOTA_RESOURCES,
  type QuotaLimits,
  type QuotaResource,
} from "../../../services/quota/quota-service.js";
import type { ApiVersion } from "../microversion.js";

/**
 * The microversions each quota resource is shown in by the quota-class API (absent: every
 * version). Until 2.50 the v2.1 API left out the server group quotas (nova bug 1693168)
 * and still showed the network ones; 2.57 drops the personality ones.
 */
const SHOWN: Partial<Record<QuotaResource, { min?: string; max?: string }>> = {
  server_groups: { min: "2.50" },
  server_group_members: { min: "2.50" },
  fixed_ips: { max: "2.49" },
  floating_ips: { max: "2.49" },
  security_groups: { max: "2.49" },
  security_group_rules: { max: "2.49" },
  injected_files: { max: "2.56" },
  injected_file_content_bytes: { max: "2.56" },
  injected_file_path_bytes: { max: "2.56" },
};

/** `{"quota_class_set": {id?, <resource>: limit ...}}`; update answers leave the id out. */
export function quotaClassSetView(className: string | undefined, limits: QuotaLimits, version: ApiVersion) {
  const quota_class_set: Record<string, unknown> = {};
  if (className !== undefined) quota_class_set.id = className;
  for (const r of QUOTA_RESOURCES) {
    if (version.within(SHOWN[r]?.min, SHOWN[r]?.max)) quota_class_set[r] = limits[r];
  }
  return { quota_class_set };
}
