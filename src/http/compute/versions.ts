import { MAX_VERSION } from "./microversion.js";

/** The two API versions nova lists; data for the `/`, `/v2.1/`, `/v2/` and 300 documents. */
const VERSIONS = [
  {
    id: "v2.0",
    path: "v2",
    status: "DEPRECATED",
    version: "",
    min_version: "",
    updated: "2025-07-04T12:00:00Z",
    mediaType: "application/vnd.openstack.compute+json;version=2",
  },
  {
    id: "v2.1",
    path: "v2.1",
    status: "CURRENT",
    version: MAX_VERSION.toString(),
    min_version: "2.1",
    updated: "2013-07-23T11:33:21Z",
    mediaType: "application/vnd.openstack.compute+json;version=2.1",
  },
] as const;

type VersionEntry = (typeof VERSIONS)[number];

function summary(v: VersionEntry, base: string) {
  return {
    id: v.id,
    links: [{ href: `${base}/${v.path}/`, rel: "self" }],
    status: v.status,
    version: v.version,
    min_version: v.min_version,
    updated: v.updated,
  };
}

/** `GET /`: every version, unversioned (no microversion headers). */
export function versionsDocument(base: string) {
  return { versions: VERSIONS.map((v) => summary(v, base)) };
}

/** `GET /v2.1/` or `/v2/`: one version with its media types and describedby link. */
export function versionDocument(id: "v2.0" | "v2.1", base: string) {
  const v = VERSIONS.find((entry) => entry.id === id)!;
  const s = summary(v, base);
  return {
    version: {
      ...s,
      links: [...s.links, { href: "http://docs.openstack.org/", rel: "describedby", type: "text/html" }],
      "media-types": [{ base: "application/json", type: v.mediaType }],
    },
  };
}

/** 300 Multiple Choices for any other path: the same path under each version. */
export function choicesDocument(base: string, path: string) {
  return {
    choices: VERSIONS.map((v) => ({
      id: v.id,
      status: v.status,
      links: [{ href: `${base}/${v.path}${path}`, rel: "self" }],
      "media-types": [{ base: "application/json", type: v.mediaType }],
    })),
  };
}
