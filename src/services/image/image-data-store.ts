import { createHash, randomUUID } from "node:crypto";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
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
   * over `maxBytes` (ImageLimitExceeded) as soon as it is exceeded; on any failure the
   * temporary file is removed and the error passed on.
   */
  async stage(
    imageId: string,
    source: AsyncIterable<Uint8Array> | Uint8Array,
    maxBytes: number,
  ): Promise<StagedData> {
    const finalPath = this.path(imageId);
    await mkdir(this.dir, { recursive: true });
    const partPath = path.join(this.dir, `.${imageId}.${randomUUID()}.part`);
    const md5 = createHash("md5");
    const sha512 = createHash("sha512");
    const head: Buffer[] = [];
    let headLength = 0;
    let size = 0;
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
        await file.write(chunk);
      }
      await file.sync();
    } catch (error) {
      await file.close().catch(() => undefined);
      await rm(partPath, { force: true });
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

  async remove(imageId: string): Promise<void> {
    await rm(this.path(imageId), { force: true });
  }
}
