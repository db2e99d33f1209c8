import type { ImageRecord } from "../../store/image-repository.js";

/** Glance's image statuses (glance/domain Image.valid_state_targets). */
export const IMAGE_STATUSES = [
  "queued",
  "saving",
  "active",
  "killed",
  "deleted",
  "uploading",
  "importing",
  "pending_delete",
  "deactivated",
] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

export const IMAGE_VISIBILITIES = ["community", "public", "private", "shared"] as const;
export type ImageVisibility = (typeof IMAGE_VISIBILITIES)[number];

/** Glance's default `[image_format] container_formats`. */
export const CONTAINER_FORMATS = ["ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"] as const;
/** Glance's default `[image_format] disk_formats`. */
export const DISK_FORMATS = [
  "ami",
  "ari",
  "aki",
  "vhd",
  "vhdx",
  "vmdk",
  "raw",
  "qcow2",
  "vdi",
  "iso",
  "ploop",
] as const;

/** The secure hash Glance computes beside the md5 `checksum` (`[DEFAULT] hashing_algorithm`). */
export const OS_HASH_ALGO = "sha512";

/** Glance's default `image_property_quota` and `image_tag_quota`. */
export const PROPERTY_QUOTA = 128;
export const TAG_QUOTA = 128;

/**
 * The largest min_disk and min_ram Glance stores: its columns are 4-byte INTEGERs, and its
 * db layer refuses a larger value before saving (glance/db/sqlalchemy/api.py _validate_db_int).
 */
export const MAX_DB_INT = 2 ** 31 - 1;

/** An image as the service hands it out: Glance's base attributes, tags and extra properties. */
export interface Image extends ImageRecord {
  status: ImageStatus;
  visibility: ImageVisibility;
}

/** The attributes Glance keeps on the image itself (everything else is an extra property). */
export const BASE_ATTRIBUTES = [
  "checksum",
  "created_at",
  "container_format",
  "disk_format",
  "id",
  "min_disk",
  "min_ram",
  "name",
  "size",
  "virtual_size",
  "status",
  "tags",
  "owner",
  "updated_at",
  "visibility",
  "protected",
  "os_hidden",
  "os_hash_algo",
  "os_hash_value",
] as const;

/** Attributes no client may set (glance RequestDeserializer._readonly_properties and friends). */
export const READONLY_ATTRIBUTES = new Set([
  "created_at",
  "updated_at",
  "status",
  "checksum",
  "size",
  "virtual_size",
  "direct_url",
  "self",
  "file",
  "schema",
  "id",
  "os_hash_algo",
  "os_hash_value",
  "stores",
]);

/** Names no extra property may take (glance's reserved properties and the os_glance namespace). */
export function isReservedProperty(key: string): boolean {
  return ["location", "locations", "deleted", "deleted_at"].includes(key) || key.startsWith("os_glance");
}

export function isBaseAttribute(key: string): key is (typeof BASE_ATTRIBUTES)[number] {
  return (BASE_ATTRIBUTES as readonly string[]).includes(key);
}

export function toImage(record: ImageRecord): Image {
  return record as Image;
}
