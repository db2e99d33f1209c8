import { createHash, randomUUID } from "node:crypto";
import { mkdir, open, rename, rm, stat, statfs } from "node:fs/promises";
import path from "node:path";
import { InvalidInput } from "../errors.js";
import { ImageLimitExceeded } from "./errors.js";

/** Image data received into a temporary file, hashed on the way; not yet the image's data. */
export interface StagedData {
  size: number;
  /** md5 hex digest: Glance's `checksum`. */
  checksum: string;
  /** sha512 hex digest: Glance's `os_hash_value`. */
  osHashValue: string;
  /** The first bytes of the data, to read a disk format's header from. */
  head: Buffer;
  /** Makes the staged file the image's data (an atomic rename over any previous data). */
  commit(): Promise<void>;
  discard(): Promise<void>;
}

const HEAD_BYTES = 512;
/** How often a streaming upload looks at the free space again. */
const FREE_SPACE_CHECK_BYTES = 8 * 1024 * 1024;

/** How much of the image data may arrive and how much free disk must remain after it. */
export interface StageLimits {
  /** Largest image data accepted (Glance's `image_size_cap`). */
  maxBytes: number;
  /** Free space the data directory's filesystem must keep (the database lives there too). */
  reserveBytes: number;
  /** The size the client announced, if it did: refused at once when it cannot fit. */
  declaredBytes?: number;
}

/** glance_store's StorageFull, as Glance's upload answers it (413). */
function storageFull(): ImageLimitExceeded {
  return new ImageLimitExceeded(
    "Image storage media is full: There is not enough disk space on the image storage media.",
  );
}

/**
 * Image data as files: `<dataDir>/images/<image id>`. Data arrives in a temporary file
 * beside its final name and is renamed into place once complete and synced, so a reader
 * never sees a partial file and a crash leaves at most a stray `.part` file.
 */
export class ImageDataStore {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, "images");
  }

  /** Where an image's data lives (whether or not it has any). */
  path(imageId: string): string {
    // Ids come from clients (Glance lets them choose); never let one leave the directory.
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(imageId)) throw new InvalidInput(`Invalid image id ${imageId}`);
    return path.join(this.dir, imageId);
  }

  /** The data file's size, or undefined when the image has no data. */
  async size(imageId: string): Promise<number | undefined> {
    try {
      return (await stat(this.path(imageId))).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  /**
   * Streams `source` into a temporary file, computing size, md5 and sha512. Refuses data
   * over `maxBytes`, and data that would leave less than `reserveBytes` free on the disk
   * (ImageLimitExceeded, before any is written when the declared size cannot fit, as soon
   * as it happens otherwise); on any failure the temporary file is removed and the error
   * passed on.
   */
  async stage(
    imageId: string,
    source: AsyncIterable<Uint8Array> | Uint8Array,
    limits: StageLimits,
  ): Promise<StagedData> {
    const { maxBytes, reserveBytes } = limits;
    const finalPath = this.path(imageId);
    await mkdir(this.dir, { recursive: true });
    const declared = limits.declaredBytes;
    if (declared !== undefined && (await this.freeBytes()) - reserveBytes < declared) throw storageFull();
    const partPath = path.join(this.dir, `.${imageId}.${randomUUID()}.part`);
    const md5 = createHash("md5");
    const sha512 = createHash("sha512");
    const head: Buffer[] = [];
    let headLength = 0;
    let size = 0;
    let checkedAt = -FREE_SPACE_CHECK_BYTES;
    const file = await open(partPath, "wx");
    try {
      const chunks: AsyncIterable<Uint8Array> | Uint8Array[] =
        source instanceof Uint8Array ? [source] : source;
      for await (const chunk of chunks) {
        size += chunk.byteLength;
        if (size > maxBytes) {
          throw new ImageLimitExceeded(`The incoming image is too large: the limit is ${maxBytes} bytes.`);
        }
        md5.update(chunk);
        sha512.update(chunk);
        if (headLength < HEAD_BYTES) {
          const part = Buffer.from(chunk.subarray(0, HEAD_BYTES - headLength));
          head.push(part);
          headLength += part.length;
        }
        // An upload is also watched as it goes (a chunked one declares nothing, and others
        // write too): each check makes sure the data until the next one leaves the reserve free.
        if (size - checkedAt >= FREE_SPACE_CHECK_BYTES) {
          checkedAt = size;
          if ((await this.freeBytes()) < reserveBytes + FREE_SPACE_CHECK_BYTES + chunk.byteLength)
            throw storageFull();
        }
        await file.write(chunk);
      }
      await file.sync();
    } catch (error) {
      await file.close().catch(() => undefined);
      await rm(partPath, { force: true });
      if ((error as NodeJS.ErrnoException).code === "ENOSPC") throw storageFull();
      throw error;
    }
    await file.close();
    return {
      size,
      checksum: md5.digest("hex"),
      osHashValue: sha512.digest("hex"),
      head: Buffer.concat(head),
      commit: () => rename(partPath, finalPath),
      discard: () => rm(partPath, { force: true }),
    };
  }

  /** Bytes an unprivileged writer may still put on the data directory's filesystem. */
  async freeBytes(): Promise<number> {
    const fs = await statfs(this.dir);
    return fs.bavail * fs.bsize;
  }

  async remove(imageId: string): Promise<void> {
    await rm(this.path(imageId), { force: true });
  }
}
