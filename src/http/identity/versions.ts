/**
 * Keystone's version discovery documents (keystone/api/discovery.py): `GET /identity`
 * answers 300 with every version, `GET /identity/v3` 200 with v3 alone. keystoneauth
 * reads `versions.values`, picks the "stable" v3 entry and follows its self link.
 */
function v3Entry(identityUrl: string) {
  return {
    id: "v3.14",
    status: "stable",
    updated: "2020-04-07T00:00:00Z",
    links: [{ rel: "self", href: `${identityUrl}/v3/` }],
    "media-types": [{ base: "application/json", type: "application/vnd.openstack.identity-v3+json" }],
  };
}

export function versionsDocument(identityUrl: string) {
  return { versions: { values: [v3Entry(identityUrl)] } };
}

export function v3Document(identityUrl: string) {
  return { version: v3Entry(identityUrl) };
}
