/**
 * Glance's version document (glance/api/versions.py), as a Glance without image cache and
 * multiple stores lists it: every entry points at `<imageUrl>/v2/`. `GET /image` answers
 * 300 with it, `GET /image/versions` 200; keystoneauth picks the CURRENT v2 entry.
 */
const VERSIONS: [id: string, status: "CURRENT" | "SUPPORTED"][] = [
  ["2.15", "SUPPORTED"],
  ["2.9", "SUPPORTED"],
  ["2.17", "CURRENT"],
  ["2.7", "SUPPORTED"],
  ["2.6", "SUPPORTED"],
  ["2.5", "SUPPORTED"],
  ["2.4", "SUPPORTED"],
  ["2.3", "SUPPORTED"],
  ["2.2", "SUPPORTED"],
  ["2.1", "SUPPORTED"],
  ["2.0", "SUPPORTED"],
];

export function versionsDocument(imageUrl: string) {
  const href = `${imageUrl.replace(/\/+$/, "")}/v2/`;
  return {
    versions: VERSIONS.map(([id, status]) => ({ id: `v${id}`, status, links: [{ rel: "self", href }] })),
  };
}
