import { isoSeconds } from "../../clock.js";
import type { Image } from "../../services/image/image.js";
import { CUSTOM_PROPERTIES } from "./schemas.js";

/** Extra properties Glance keeps to itself (ResponseSerializer._hidden_properties). */
const HIDDEN_PROPERTIES = new Set(["os_glance_stage_host", "os_glance_hash_op_host"]);

export const imageHref = (id: string) => `/v2/images/${id}`;

/**
 * An image as Glance v2 shows it: extra properties flat beside the base attributes,
 * times to the second, and links relative to the API root (`/v2/...`), as Glance writes them.
 */
export function imageView(image: Image): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(image.properties)) {
    if (HIDDEN_PROPERTIES.has(key)) continue;
    // glance's Schema.filter: a null property the schema does not know is shown as ""
    view[key] = value === null && !Object.hasOwn(CUSTOM_PROPERTIES, key) ? "" : value;
  }
  Object.assign(view, {
    name: image.name,
    disk_format: image.diskFormat,
    container_format: image.containerFormat,
    visibility: image.visibility,
    size: image.size,
    virtual_size: image.virtualSize,
    status: image.status,
    checksum: image.checksum,
    protected: image.protected,
    min_ram: image.minRam,
    min_disk: image.minDisk,
    owner: image.owner,
    os_hidden: image.osHidden,
    os_hash_algo: image.osHashAlgo,
    os_hash_value: image.osHashValue,
    id: image.id,
    created_at: isoSeconds(image.createdAt),
    updated_at: isoSeconds(image.updatedAt),
    tags: image.tags,
    self: imageHref(image.id),
    file: `${imageHref(image.id)}/file`,
    schema: "/v2/schemas/image",
  });
  return view;
}
