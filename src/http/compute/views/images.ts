import { isoSeconds } from "../../../clock.js";
import type { Image } from "../../../services/image/image.js";
import type { Links } from "../links.js";

/** nova's views/images.py status table: Glance's status as Nova's clients know it. */
const STATUS: Readonly<Record<string, string>> = {
  active: "ACTIVE",
  queued: "SAVING",
  saving: "SAVING",
  deleted: "DELETED",
  pending_delete: "DELETED",
  killed: "ERROR",
};

/** nova's fixed progress per status (it has no better measure of an upload). */
const PROGRESS: Readonly<Record<string, number>> = { queued: 25, saving: 50, active: 100 };

export const imageStatus = (status: string): string => STATUS[status] ?? "UNKNOWN";

/** Glance's own address of an image: the `alternate` link (nova's generate_glance_url + /images/id). */
const glanceHref = (links: Links, id: string) => `${links.base.replace(/\/compute$/, "")}/image/images/${id}`;

function imageLinks(links: Links, id: string) {
  return [
    ...links.pair("images", id),
    { rel: "alternate", type: "application/vnd.openstack.image", href: glanceHref(links, id) },
  ];
}

/** The index view: id, name and links. */
export const imageBasicView = (image: Image, links: Links) => ({
  id: image.id,
  name: image.name,
  links: imageLinks(links, image.id),
});

/** The show/detail view; a snapshot (instance_uuid property) links its server. */
export function imageView(image: Image, links: Links): Record<string, unknown> {
  const metadata = image.properties;
  const view: Record<string, unknown> = {
    id: image.id,
    name: image.name,
    minRam: image.minRam,
    minDisk: image.minDisk,
    metadata,
    created: isoSeconds(image.createdAt),
    updated: isoSeconds(image.updatedAt),
    status: imageStatus(image.status),
    progress: PROGRESS[image.status] ?? 0,
    "OS-EXT-IMG-SIZE:size": image.size,
    links: imageLinks(links, image.id),
  };
  const serverId = metadata.instance_uuid;
  if (serverId != null) view.server = { id: serverId, links: links.pair("servers", serverId) };
  const autoDisk = metadata.auto_disk_config;
  if (autoDisk != null) view["OS-DCF:diskConfig"] = boolFromString(autoDisk) ? "AUTO" : "MANUAL";
  return view;
}

/** oslo's strutils.bool_from_string (non-strict): anything not truthy is false. */
const boolFromString = (text: string) =>
  ["1", "t", "true", "on", "y", "yes"].includes(text.trim().toLowerCase());
