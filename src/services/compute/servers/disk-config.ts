import { InvalidInput } from "../../errors.js";

/** OS-DCF:diskConfig: grow the root partition to the disk (AUTO) or leave it as the image made it. */
export type DiskConfig = "AUTO" | "MANUAL";

/** oslo's bool_from_string, not strict: what nova makes of an image's auto_disk_config. */
const TRUE_WORDS = new Set(["1", "t", "true", "on", "y", "yes"]);

function imageSetting(imageProperties: Record<string, unknown>): string | undefined {
  const value = imageProperties.auto_disk_config;
  return value === undefined || value === null ? undefined : String(value).trim().toLowerCase();
}

/** nova's _ensure_auto_disk_config_is_valid: an image whose auto_disk_config is "disabled" refuses AUTO. */
export function checkDiskConfig(
  requested: DiskConfig | undefined,
  imageProperties: Record<string, unknown>,
  imageRef: string,
): void {
  if (requested === "AUTO" && imageSetting(imageProperties) === "disabled") {
    throw new InvalidInput(`Requested image ${imageRef} has automatic disk resize disabled.`);
  }
}

/** What a create or rebuild stores (nova's _inherit_properties_from_image): the request's choice, else the image's. */
export function inheritedDiskConfig(
  requested: DiskConfig | undefined,
  imageProperties: Record<string, unknown>,
): number {
  if (requested !== undefined) return requested === "AUTO" ? 1 : 0;
  return TRUE_WORDS.has(imageSetting(imageProperties) ?? "") ? 1 : 0;
}
