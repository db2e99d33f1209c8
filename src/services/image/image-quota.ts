import type { ImageUsage } from "../../store/image-repository.js";
import { ImageLimitExceeded } from "./errors.js";

const MiB = 1024 * 1024;

/**
 * A project's image limits, by Glance's unified-limit names (glance/quota/keystone.py):
 * `image_size_total` in MiB of stored image data, `image_count_total` in images. Here they
 * are the same for every project; a negative limit is no limit.
 */
export interface ImageLimits {
  imageSizeTotalMiB: number;
  imageCountTotal: number;
}

export const UNLIMITED_IMAGES: ImageLimits = { imageSizeTotalMiB: -1, imageCountTotal: -1 };

/**
 * oslo.limit's refusal as Glance passes it on (exception.LimitExceeded around
 * ProjectOverLimit): over when usage plus the request's delta passes the limit.
 */
function enforce(projectId: string, resource: string, limit: number, usage: number, delta: number): void {
  if (limit < 0 || usage + delta <= limit) return;
  throw new ImageLimitExceeded(
    "The request returned a 413 Request Entity Too Large. This generally means that rate limiting or a quota threshold was breached.\n\n" +
      `The response body:\nProject ${projectId} is over a limit for [Resource ${resource} is over limit of ${limit} due to current usage ${usage} and delta ${delta}]`,
  );
}

/** Glance's check before an image is created: one more image must fit image_count_total. */
export function enforceImageCount(limits: ImageLimits, projectId: string, usage: ImageUsage): void {
  enforce(projectId, "image_count_total", limits.imageCountTotal, usage.count, 1);
}

/**
 * Glance's check before data is read: the declared size (Content-Length), in whole MiB as
 * Glance counts it, must fit image_size_total beside what the project stores already.
 */
export function enforceImageSize(
  limits: ImageLimits,
  projectId: string,
  usage: ImageUsage,
  declaredBytes: number | undefined,
): void {
  const delta = declaredBytes === undefined ? 0 : Math.floor(declaredBytes / MiB);
  enforce(projectId, "image_size_total", limits.imageSizeTotalMiB, Math.floor(usage.bytes / MiB), delta);
}

/** Bytes the project may still store, or undefined when its storage is not limited. */
export function remainingBytes(limits: ImageLimits, usage: ImageUsage): number | undefined {
  if (limits.imageSizeTotalMiB < 0) return undefined;
  return Math.max(0, limits.imageSizeTotalMiB * MiB - usage.bytes);
}

/** Glance's StorageQuotaFull, as its upload answers it (413). */
export function storageQuotaFull(size: number, remaining: number): ImageLimitExceeded {
  return new ImageLimitExceeded(
    `Image exceeds the storage quota: The size of the data ${size} will exceed the limit. ${remaining} bytes remaining.`,
  );
}

/**
 * The data, cut off with StorageQuotaFull as soon as it passes `remaining` bytes (Glance's
 * LimitingReader around an upload under a storage quota): a client that declared no size,
 * or a wrong one, cannot stream past the quota.
 */
export async function* quotaLimited(
  source: AsyncIterable<Uint8Array> | Uint8Array,
  remaining: number,
): AsyncGenerator<Uint8Array> {
  const chunks: AsyncIterable<Uint8Array> | Uint8Array[] = source instanceof Uint8Array ? [source] : source;
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.byteLength;
    if (size > remaining) throw storageQuotaFull(size, remaining);
    yield chunk;
  }
}
