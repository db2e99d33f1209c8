import { Ajv, type ErrorObject } from "ajv";
import {
  CONTAINER_FORMATS,
  DISK_FORMATS,
  IMAGE_STATUSES,
  IMAGE_VISIBILITIES,
} from "../../services/image/image.js";
import { HttpFault } from "../faults.js";

/**
 * The JSON schema documents Glance serves at `/v2/schemas/image` and `/v2/schemas/images`
 * (glance/api/v2/images.py get_base_properties, with etc/schema-image.json merged in as
 * devstack installs it), and the validator Glance runs on create and PATCH bodies.
 */
const UUID_PATTERN =
  "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$";

const BASE_PROPERTIES = {
  id: { type: "string", description: "An identifier for the image", pattern: UUID_PATTERN },
  name: { type: ["null", "string"], description: "Descriptive name for the image", maxLength: 255 },
  status: { type: "string", readOnly: true, description: "Status of the image", enum: [...IMAGE_STATUSES] },
  visibility: { type: "string", description: "Scope of image accessibility", enum: [...IMAGE_VISIBILITIES] },
  protected: { type: "boolean", description: "If true, image will not be deletable." },
  os_hidden: {
    type: "boolean",
    description: "If true, image will not appear in default image list response.",
  },
  checksum: {
    type: ["null", "string"],
    readOnly: true,
    description: "md5 hash of image contents.",
    maxLength: 32,
  },
  os_hash_algo: {
    type: ["null", "string"],
    readOnly: true,
    description: "Algorithm to calculate the os_hash_value",
    maxLength: 64,
  },
  os_hash_value: {
    type: ["null", "string"],
    readOnly: true,
    description: "Hexdigest of the image contents using the algorithm specified by the os_hash_algo",
    maxLength: 128,
  },
  owner: { type: ["null", "string"], description: "Owner of the image", maxLength: 255 },
  size: { type: ["null", "integer"], readOnly: true, description: "Size of image file in bytes" },
  virtual_size: { type: ["null", "integer"], readOnly: true, description: "Virtual size of image in bytes" },
  container_format: {
    type: ["null", "string"],
    description: "Format of the container",
    enum: [null, ...CONTAINER_FORMATS],
  },
  disk_format: { type: ["null", "string"], description: "Format of the disk", enum: [null, ...DISK_FORMATS] },
  created_at: { type: "string", readOnly: true, description: "Date and time of image registration" },
  updated_at: { type: "string", readOnly: true, description: "Date and time of the last image modification" },
  tags: {
    type: "array",
    description: "List of strings related to the image",
    items: { type: "string", maxLength: 255 },
  },
  direct_url: {
    type: "string",
    readOnly: true,
    description: "URL to access the image file kept in external store",
  },
  min_ram: { type: "integer", description: "Amount of ram (in MB) required to boot image." },
  min_disk: { type: "integer", description: "Amount of disk space (in GB) required to boot image." },
  self: { type: "string", readOnly: true, description: "An image self url" },
  file: { type: "string", readOnly: true, description: "An image file url" },
  stores: {
    type: "string",
    readOnly: true,
    description:
      "Store in which image data resides.  Only present when the operator has enabled multiple stores.  May be a comma-separated list of store identifiers.",
  },
  schema: { type: "string", readOnly: true, description: "An image schema url" },
  locations: {
    type: "array",
    items: {
      type: "object",
      properties: {
        url: { type: "string", maxLength: 255 },
        metadata: { type: "object" },
        validation_data: {
          description:
            "Values to be used to populate the corresponding image properties. If the image status is not 'queued', values must exactly match those already contained in the image properties.",
          type: "object",
          writeOnly: true,
          additionalProperties: false,
          properties: {
            checksum: { type: "string", minLength: 32, maxLength: 32 },
            os_hash_algo: { type: "string", maxLength: 64 },
            os_hash_value: { type: "string", maxLength: 128 },
          },
          required: ["os_hash_algo", "os_hash_value"],
        },
      },
      required: ["url", "metadata"],
    },
    description: "A set of URLs to access the image file kept in external store",
  },
};

/** etc/schema-image.json: the custom properties a devstack Glance publishes (`is_base: false`). */
export const CUSTOM_PROPERTIES = {
  kernel_id: {
    type: ["null", "string"],
    pattern: UUID_PATTERN,
    description:
      "ID of image stored in Glance that should be used as the kernel when booting an AMI-style image.",
    is_base: false,
  },
  ramdisk_id: {
    type: ["null", "string"],
    pattern: UUID_PATTERN,
    description:
      "ID of image stored in Glance that should be used as the ramdisk when booting an AMI-style image.",
    is_base: false,
  },
  instance_uuid: {
    type: "string",
    description:
      "Metadata which can be used to record which instance this image is associated with. (Informational only, does not create an instance snapshot.)",
    is_base: false,
  },
  architecture: {
    description:
      "Operating system architecture as specified in https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html",
    type: "string",
    is_base: false,
  },
  os_distro: {
    description:
      "Common name of operating system distribution as specified in https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html",
    type: "string",
    is_base: false,
  },
  os_version: {
    description: "Operating system version as specified by the distributor.",
    type: "string",
    is_base: false,
  },
  description: {
    description: "A human-readable string describing this image.",
    type: "string",
    is_base: false,
  },
  cinder_encryption_key_id: {
    description:
      "Identifier in the OpenStack Key Management Service for the encryption key for the Block Storage Service to use when mounting a volume created from this image",
    type: "string",
    is_base: false,
  },
  cinder_encryption_key_deletion_policy: {
    description:
      "States the condition under which the Image Service will delete the object associated with the 'cinder_encryption_key_id' image property.  If this property is missing, the Image Service will take no action",
    type: "string",
    enum: ["on_image_deletion", "do_not_delete"],
    is_base: false,
  },
};

/** Glance's PermissiveSchema: any further property is allowed, as a string. */
export const IMAGE_SCHEMA = {
  name: "image",
  properties: { ...BASE_PROPERTIES, ...CUSTOM_PROPERTIES },
  additionalProperties: { type: "string" },
  links: [
    { rel: "self", href: "{self}" },
    { rel: "enclosure", href: "{file}" },
    { rel: "describedby", href: "{schema}" },
  ],
};

export const IMAGES_SCHEMA = {
  name: "images",
  properties: {
    images: { type: "array", items: IMAGE_SCHEMA },
    first: { type: "string" },
    next: { type: "string" },
    schema: { type: "string" },
  },
  links: [
    { rel: "first", href: "{first}" },
    { rel: "next", href: "{next}" },
    { rel: "describedby", href: "{schema}" },
  ],
};

// Glance's schema carries keywords JSON Schema does not define (links, is_base): not strict.
const ajv = new Ajv({ strict: false, allErrors: false, verbose: true });
const validate = ajv.compile({ ...IMAGE_SCHEMA, type: "object" });

/** Python's repr of a JSON value, as jsonschema's messages quote values. */
function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "string") return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(", ")}]`;
  if (typeof value === "object") {
    return `{${Object.entries(value)
      .map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`)
      .join(", ")}}`;
  }
  return String(value);
}

/** The first line of jsonschema's message for a failed keyword. */
function reason(error: ErrorObject): string {
  const value = error.data;
  switch (error.keyword) {
    case "enum":
      return `${pyRepr(value)} is not one of ${pyRepr(error.schema)}`;
    case "type": {
      const types = Array.isArray(error.schema) ? error.schema : [error.schema];
      return `${pyRepr(value)} is not of type ${types.map((t) => pyRepr(t)).join(", ")}`;
    }
    case "maxLength":
      return `${pyRepr(value)} is too long`;
    case "minLength":
      return `${pyRepr(value)} is too short`;
    case "pattern":
      return `${pyRepr(value)} does not match ${pyRepr(error.schema)}`;
    case "required":
      return `${pyRepr((error.params as { missingProperty: string }).missingProperty)} is a required property`;
    case "additionalProperties":
      return `Additional properties are not allowed (${pyRepr((error.params as { additionalProperty: string }).additionalProperty)} was unexpected)`;
    default:
      return `${pyRepr(value)} ${error.message ?? "is not valid"}`;
  }
}

/**
 * Validates (part of) an image against the image schema; a failure is Glance's 400
 * "Provided object does not match schema 'image': <reason>".
 */
export function validateImage(body: unknown): void {
  if (validate(body)) return;
  const first = validate.errors?.[0];
  const why = first ? reason(first) : "invalid";
  throw new HttpFault(400, `Provided object does not match schema 'image': ${why}`);
}
