import { QUOTA_RESOURCES, type QuotaResource } from "../../../services/quota/quota-service.js";
import type { ApiVersion } from "../microversion.js";

/**
 * The last microversion each quota resource appears in (quota-set views and bodies):
 * the network ones leave at 2.36, the personality ones at 2.57. Absent: every version.
 */
const SHOWN_UNTIL: Partial<Record<QuotaResource, string>> = {
  fixed_ips: "2.35",
  floating_ips: "2.35",
  security_groups: "2.35",
  security_group_rules: "2.35",
  injected_files: "2.56",
  injected_file_content_bytes: "2.56",
  injected_file_path_bytes: "2.56",
};

/** The quota resources the API shows at this version. */
export function quotaResourcesAt(version: ApiVersion): QuotaResource[] {
  return QUOTA_RESOURCES.filter((r) => version.within(null, SHOWN_UNTIL[r]));
}

/** `{"quota_set": {id?, <resource>: value ...}}`; update answers leave the id out. */
export function quotaSetView<T>(
  projectId: string | undefined,
  values: Record<QuotaResource, T>,
  version: ApiVersion,
) {
  const quota_set: Record<string, unknown> = {};
  if (projectId !== undefined) quota_set.id = projectId;
  for (const r of quotaResourcesAt(version)) quota_set[r] = values[r];
  return { quota_set };
}
