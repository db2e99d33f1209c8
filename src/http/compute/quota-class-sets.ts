import {
  QUOTA_RESOURCES,
  type QuotaResource,
  type QuotaService,
} from "../../services/quota/quota-service.js";
import { badRequest } from "../faults.js";
import { authorize, type Policy } from "./policy.js";
import type { RouteDef } from "./router.js";
import { quotaClassSetView } from "./views/quota-class-sets.js";

const p = (action: string): Policy => ({
  name: `os_compute_api:os-quota-class-sets:${action}`,
  rule: "admin",
});

export interface QuotaClassSetRouteDeps {
  quotas: QuotaService;
}

const RESOURCES = new Set<string>(QUOTA_RESOURCES);
/** nova's quota limit values: integers (or integer strings) from -1 (unlimited) to 2^31 - 1. */
const LIMIT = /^-?\d+$/;
const MAX_LIMIT = 2147483647;
/** nova checks the class name's length (quota_class_name) before writing. */
const MAX_CLASS_NAME = 255;

/**
 * The limits a PUT asks for. From 2.1 nova's schema has already admitted only known
 * resources with integer values; the legacy /v2 endpoint validates nothing, so there
 * unknown keys are dropped and a value that is not a limit is refused.
 */
function requestedLimits(body: unknown): Partial<Record<QuotaResource, number>> {
  const set = (body as { quota_class_set?: unknown } | null)?.quota_class_set;
  if (set === null || typeof set !== "object" || Array.isArray(set))
    throw badRequest("Malformed request body");
  const requested: Partial<Record<QuotaResource, number>> = {};
  for (const [key, value] of Object.entries(set)) {
    if (!RESOURCES.has(key)) continue;
    const limit = Number(value);
    if (!LIMIT.test(String(value)) || limit < -1 || limit > MAX_LIMIT)
      throw badRequest("Malformed request body");
    requested[key as QuotaResource] = limit;
  }
  return requested;
}

/**
 * GET/PUT /os-quota-class-sets/{id}. Any class name can be read (unset limits show the
 * built-in defaults) and written; the `default` class's limits are every project's
 * defaults, the others have no effect (nova's DbQuotaDriver).
 */
export function quotaClassSetRoutes(deps: QuotaClassSetRouteDeps): RouteDef[] {
  const { quotas } = deps;
  return [
    {
      method: "GET",
      path: "/os-quota-class-sets/{id}",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("show"));
        const className = call.params.id!;
        return quotaClassSetView(className, await quotas.classLimits(className), call.version);
      },
    },
    {
      method: "PUT",
      path: "/os-quota-class-sets/{id}",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("update"));
        const className = call.params.id!;
        const length = [...className].length;
        if (length > MAX_CLASS_NAME) {
          throw badRequest(`quota_class_name has ${length} characters, more than ${MAX_CLASS_NAME}.`);
        }
        const limits = await quotas.updateClass(className, requestedLimits(call.body));
        return quotaClassSetView(undefined, limits, call.version);
      },
    },
  ];
}
