import type { FlavorService } from "../../services/compute/flavor-service.js";
import { NotFound } from "../../services/errors.js";
import { badRequest } from "../faults.js";
import { validateExtraSpec } from "./extra-spec-validation.js";
import { authorize, type Policy } from "./policy.js";
import type { ComputeCall, RouteDef } from "./router.js";

const p = (action: string, rule: Policy["rule"]): Policy => ({
  name: `os_compute_api:os-flavor-extra-specs:${action}`,
  rule,
});

export interface FlavorExtraSpecRouteDeps {
  flavors: FlavorService;
}

/** Keys in nova's known namespaces are validated from this microversion. */
const VALIDATED_FROM = "2.86";

/**
 * Checks the specs of a request as nova does and returns them as stored (strings). The
 * schema lets numbers through; their text length is checked here, since JSON Schema's
 * maxLength does not apply to numbers.
 */
function specValues(call: ComputeCall, specs: Record<string, string | number>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(specs)) {
    const text = String(value);
    if (typeof value === "number" && text.length > 255) {
      throw badRequest(
        `Invalid input received: extra_specs value has ${text.length} characters, more than 255.`,
      );
    }
    if (call.version.atLeast(VALIDATED_FROM)) validateExtraSpec(key, value);
    out[key] = text;
  }
  return out;
}

const missingKey = (flavorId: string, key: string) =>
  `Flavor ${flavorId} has no extra specs with key ${key}.`;

/** /flavors/{flavor_id}/os-extra_specs[/{id}]: list, create-or-update, show, update one, delete. */
export function flavorExtraSpecRoutes(deps: FlavorExtraSpecRouteDeps): RouteDef[] {
  const { flavors } = deps;
  const flavorOf = (call: ComputeCall) => flavors.get(call.auth, call.params.flavor_id!);

  return [
    {
      method: "GET",
      path: "/flavors/{flavor_id}/os-extra_specs",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("index", "project_reader"));
        return { extra_specs: (await flavorOf(call)).extraSpecs };
      },
    },
    {
      method: "POST",
      path: "/flavors/{flavor_id}/os-extra_specs",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("create", "admin"));
        const specs = specValues(call, call.body.extra_specs);
        await flavors.setExtraSpecs(call.auth, call.params.flavor_id!, specs);
        // nova answers with the request body as sent
        return call.body;
      },
    },
    {
      method: "GET",
      path: "/flavors/{flavor_id}/os-extra_specs/{id}",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("show", "project_reader"));
        const flavor = await flavorOf(call);
        const key = call.params.id!;
        if (!Object.hasOwn(flavor.extraSpecs, key))
          throw new NotFound(missingKey(call.params.flavor_id!, key));
        return { [key]: flavor.extraSpecs[key] };
      },
    },
    {
      method: "PUT",
      path: "/flavors/{flavor_id}/os-extra_specs/{id}",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("update", "admin"));
        const specs = specValues(call, call.body);
        if (!Object.hasOwn(specs, call.params.id!)) throw badRequest("Request body and URI mismatch");
        await flavors.setExtraSpecs(call.auth, call.params.flavor_id!, specs);
        return call.body;
      },
    },
    {
      method: "DELETE",
      path: "/flavors/{flavor_id}/os-extra_specs/{id}",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("delete", "admin"));
        await flavors.deleteExtraSpec(call.auth, call.params.flavor_id!, call.params.id!);
      },
    },
  ];
}
