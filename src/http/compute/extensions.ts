import { notFound } from "../faults.js";
import { LEGACY_V2_ONLY, NOVA_EXTENSIONS, type NovaExtension } from "./extension-list.js";
import { authorize, type Policy } from "./policy.js";
import type { RouteDef } from "./router.js";

const EXTENSIONS: Policy = { name: "os_compute_api:extensions", rule: "any" };

const view = (extension: NovaExtension) => ({
  ...extension,
  links: [],
  namespace: "http://docs.openstack.org/compute/ext/fake_xml",
  updated: "2014-12-03T00:00:00Z",
});

/**
 * GET /extensions and /extensions/{alias}: nova's fixed list (the legacy /v2 endpoint lists
 * one more); show finds any alias of the longer list, as nova's does.
 */
export function extensionRoutes(): RouteDef[] {
  return [
    {
      method: "GET",
      path: "/extensions",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, EXTENSIONS);
        const listed = call.version.isLegacyV2
          ? NOVA_EXTENSIONS
          : NOVA_EXTENSIONS.filter((e) => !LEGACY_V2_ONLY.has(e.alias));
        return { extensions: listed.map(view) };
      },
    },
    {
      method: "GET",
      path: "/extensions/{id}",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, EXTENSIONS);
        const extension = NOVA_EXTENSIONS.find((e) => e.alias === call.params.id);
        if (!extension) throw notFound();
        return { extension: view(extension) };
      },
    },
  ];
}
