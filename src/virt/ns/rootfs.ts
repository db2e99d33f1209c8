import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { run } from "./exec.js";

/**
 * The narrow port the driver reads images through: where an image's data is on this
 * machine (Glance's stored file), undefined when it has none.
 */
export interface ImageFiles {
  imageFile(imageRef: string): Promise<string | undefined>;
}

/** An image a server cannot boot from: no data, or data that is not a root filesystem. */
export class ImageNotBootable extends Error {}

/**
 * Read-only root filesystems unpacked from images, one dir per image id under `dir`: the
 * lower dirs of the servers' overlays. The convention: an image's data is a tar archive of
 * a root filesystem (gzip-compressed or not) holding an executable /sbin/init; its Glance
 * formats are free (raw/bare by default). Each image is unpacked once, into a temporary
 * dir renamed into place, so that a crash never leaves a half-unpacked lower dir.
 */
export class LowerDirs {
  readonly #inFlight = new Map<string, Promise<string>>();

  constructor(
    readonly dir: string,
    readonly images: ImageFiles,
    readonly tar = "tar",
  ) {}

  /** The lower dir of `imageRef`, unpacked now if it was not yet. */
  get(imageRef: string): Promise<string> {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(imageRef)) {
      return Promise.reject(new ImageNotBootable(`image ${imageRef} is not a valid image id`));
    }
    const pending = this.#inFlight.get(imageRef);
    if (pending) return pending;
    const made = this.#unpack(imageRef).finally(() => this.#inFlight.delete(imageRef));
    this.#inFlight.set(imageRef, made);
    return made;
  }

  async #unpack(imageRef: string): Promise<string> {
    const target = path.join(this.dir, imageRef);
    if (await exists(target)) return target;
    const file = await this.images.imageFile(imageRef);
    if (file === undefined) throw new ImageNotBootable(`image ${imageRef} has no data to boot from`);
    const head = Buffer.alloc(512);
    const handle = await fs.open(file);
    const { bytesRead } = await handle.read(head, 0, 512, 0).finally(() => handle.close());
    const gzip = bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b;
    const tar = bytesRead >= 262 && head.subarray(257, 262).toString("latin1") === "ustar";
    if (!gzip && !tar) {
      throw new ImageNotBootable(
        `image ${imageRef} is not a root filesystem: the ns driver boots tar archives (gzip or not) holding /sbin/init`,
      );
    }
    await fs.mkdir(this.dir, { recursive: true });
    const temp = path.join(this.dir, `.unpack-${imageRef}-${randomBytes(4).toString("hex")}`);
    await fs.mkdir(temp);
    try {
      await run(this.tar, ["--numeric-owner", "-xpf", file, "-C", temp], { timeoutMs: 300_000 });
      const init = await fs.lstat(path.join(temp, "sbin/init")).catch(() => undefined);
      if (!init) throw new ImageNotBootable(`image ${imageRef} has no /sbin/init to boot`);
      await fs.rename(temp, target).catch(async (error: NodeJS.ErrnoException) => {
        // unpacked meanwhile by another process: theirs is as good
        if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
        await fs.rm(temp, { recursive: true, force: true });
      });
    } catch (error) {
      await fs.rm(temp, { recursive: true, force: true });
      throw error;
    }
    return target;
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}
