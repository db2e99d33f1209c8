import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { run } from "./exec.js";
import { GUEST_INIT } from "./guest-init.js";

/** The bootable image nimbus gives an ns host: busybox with nimbus's init, a root filesystem tarball. */
export const NS_DEFAULT_IMAGE_NAME = "nimbus-busybox";

/** A fixed id (a name-based UUID), so that making the image is idempotent across restarts. */
export const NS_DEFAULT_IMAGE_ID = nameUuid(`nimbus:bootstrap-image:${NS_DEFAULT_IMAGE_NAME}`);

export const NS_DEFAULT_IMAGE_PROPERTIES: Record<string, string> = {
  description:
    "busybox (static) with nimbus's init: a root filesystem tarball for the ns (Linux namespace container) driver. " +
    "Its init writes the hostname, installs the key pair's public key for root, runs a #! user-data script once " +
    "and prints a boot log on the console.",
  os_distro: "busybox",
  architecture: "x86_64",
  hypervisor_type: "lxc",
  nimbus_rootfs: "tar",
};

/** The device nodes every server needs, baked into the image (the launcher then makes none). */
const DEVICES: ReadonlyArray<[string, number, number]> = [
  ["null", 1, 3],
  ["zero", 1, 5],
  ["full", 1, 7],
  ["random", 1, 8],
  ["urandom", 1, 9],
  ["tty", 5, 0],
];

/**
 * Builds the default image's tarball from the host's static busybox: the binary, a link
 * per applet, device nodes, root's passwd entries and nimbus's /sbin/init. `workDir` holds
 * the staging tree, removed afterwards. Deterministic up to the busybox binary (fixed
 * mtimes, owners and order).
 */
export async function buildDefaultRootfs(busybox: string, workDir: string): Promise<Buffer> {
  await fs.mkdir(workDir, { recursive: true });
  const stage = await fs.mkdtemp(path.join(workDir, "rootfs-"));
  try {
    const root = path.join(stage, "root");
    const dirs = ["bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev/pts", "dev/shm", "etc/nimbus"];
    dirs.push("root", "tmp", "var/log", "var/lib/nimbus", "run", "mnt", ".oldroot");
    for (const dir of dirs) await fs.mkdir(path.join(root, dir), { recursive: true });
    await fs.chmod(path.join(root, "tmp"), 0o1777);
    await fs.chmod(path.join(root, "root"), 0o700);
    await fs.copyFile(busybox, path.join(root, "bin/busybox"));
    await fs.chmod(path.join(root, "bin/busybox"), 0o755);
    const applets = (await run(busybox, ["--list-full"])).stdout.split("\n").filter((a) => a !== "");
    for (const applet of applets) {
      const link = path.join(root, applet);
      if (applet === "bin/busybox") continue;
      await fs.mkdir(path.dirname(link), { recursive: true });
      await fs.symlink("/bin/busybox", link).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "EEXIST") throw error;
      });
    }
    // busybox's own init is an applet: nimbus's takes its place
    await fs.rm(path.join(root, "sbin/init"), { force: true });
    await fs.writeFile(path.join(root, "sbin/init"), GUEST_INIT, { mode: 0o755 });
    await fs.writeFile(path.join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
    await fs.writeFile(path.join(root, "etc/group"), "root:x:0:\n");
    await fs.writeFile(path.join(root, "etc/shadow"), "root:*:20000:0:99999:7:::\n", { mode: 0o600 });
    await fs.writeFile(path.join(root, "etc/hostname"), "nimbus\n");
    const mknod = DEVICES.map(([name, major, minor]) => `mknod -m 666 dev/${name} c ${major} ${minor}`);
    await run(busybox, ["sh", "-c", `cd "$1" && ${mknod.join(" && ")}`, "sh", root]);
    const tarball = path.join(stage, "rootfs.tar");
    await run("tar", [
      "--numeric-owner",
      "--owner=0",
      "--group=0",
      "--sort=name",
      "--mtime=@0",
      "-C",
      root,
      "-cf",
      tarball,
      ".",
    ]);
    return await fs.readFile(tarball);
  } finally {
    await fs.rm(stage, { recursive: true, force: true });
  }
}

/** What making the default image needs of the image service (Glance's v2 calls, as an admin). */
export interface DefaultImageStore {
  /** Where an active image's data is; null when it is not active or has none. */
  dataPath(id: string): Promise<string | null>;
  /** Creates the image record, queued; false when an image of that id exists already. */
  create(spec: {
    id: string;
    name: string;
    diskFormat: string;
    containerFormat: string;
    properties: Record<string, string>;
  }): Promise<boolean>;
  /** Gives a queued image its data, making it active. */
  upload(id: string, data: Buffer): Promise<void>;
}

/**
 * Makes sure the default ns image exists and holds its tarball (public, raw, bare); answers
 * its id. An earlier attempt left queued is completed.
 */
export async function ensureDefaultImage(
  store: DefaultImageStore,
  options: { busybox: string; workDir: string },
): Promise<string> {
  const id = NS_DEFAULT_IMAGE_ID;
  if ((await store.dataPath(id)) !== null) return id;
  await store.create({
    id,
    name: NS_DEFAULT_IMAGE_NAME,
    diskFormat: "raw",
    containerFormat: "bare",
    properties: { ...NS_DEFAULT_IMAGE_PROPERTIES },
  });
  await store.upload(id, await buildDefaultRootfs(options.busybox, options.workDir));
  return id;
}

/** A version-5-style UUID from a SHA-1 of `name`, as the bootstrap image's id is made. */
function nameUuid(name: string): string {
  const bytes = createHash("sha1").update(name).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
