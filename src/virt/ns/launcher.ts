import fs from "node:fs/promises";
import path from "node:path";

/**
 * The container's first process, run by `busybox sh` (its standalone shell runs mkdir,
 * mount, hostname and pivot_root in-process, no exec each) as PID 1 of fresh pid, mount,
 * uts, ipc and net namespaces. Usage: `launcher.sh LOWER INSTANCE_DIR HOSTNAME INIT`.
 *
 * The server's disk is an overlay of the image's read-only lower dir and the server's own
 * upper dir; the mounts live in the container's mount namespace only, so nothing is left
 * on the host when it ends. Device nodes come from the image (baked in); an image without
 * them gets the host's few safe ones bound in. Inherited descriptors past stderr are closed
 * before the guest's init takes over; its stdio is the console (the pty of util-linux
 * script, bound as /dev/console too).
 *
 * In rescue mode (DISK_LOWER and DISK_DIR set: the server's image and its instance dir,
 * while LOWER and INSTANCE_DIR are the rescue image's and a scratch dir) the server's own
 * disk is mounted at /mnt/disk of the rescue system.
 */
/**
 * unshare's flags for a server: fresh pid, mount, uts, ipc and net namespaces, its init
 * killed with unshare (a container must never outlive it unnoticed), mounts kept private.
 */
export const CONTAINER_NAMESPACES = [
  "--fork",
  "--kill-child=SIGKILL",
  "--pid",
  "--mount",
  "--uts",
  "--ipc",
  "--net",
  "--propagation",
  "private",
] as const;

export const LAUNCHER_SCRIPT = `set -e
LOWER=$1; I=$2; HN=$3; INIT=$4
M=$I/merged
mkdir -p "$I/upper" "$I/work" "$M"
mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$I/upper,workdir=$I/work" "$M"
mkdir -p "$M/proc" "$M/dev" "$M/.oldroot" "$M/tmp"
mount -t proc proc "$M/proc"
if [ ! -c "$M/dev/null" ]; then
  mount -t tmpfs -o mode=755,size=64k tmpfs "$M/dev"
  for d in null zero full random urandom tty; do touch "$M/dev/$d"; mount --bind "/dev/$d" "$M/dev/$d"; done
fi
mkdir -p "$M/dev/pts"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$M/dev/pts"
[ -e "$M/dev/ptmx" ] || ln -s pts/ptmx "$M/dev/ptmx"
if [ -n "$DISK_LOWER" ]; then
  mkdir -p "$M/mnt/disk" "$DISK_DIR/upper" "$DISK_DIR/work"
  mount -t overlay overlay -o "lowerdir=$DISK_LOWER,upperdir=$DISK_DIR/upper,workdir=$DISK_DIR/work" "$M/mnt/disk"
fi
# the console: when stdin is a pty (util-linux script's), it is the guest's /dev/console, as LXC does
if T=$(tty 2>/dev/null); then touch "$M/dev/console"; mount --bind "$T" "$M/dev/console"; fi
hostname "$HN"
cd "$M"
pivot_root . .oldroot
umount -l /.oldroot
set +e
for fd in $(ls /proc/self/fd); do if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null; fi; done
exec "$INIT"
`;

/** Writes the launcher into the driver's directory (each start, so an upgrade takes effect). */
export async function writeLauncher(dir: string): Promise<string> {
  const file = path.join(dir, "launcher.sh");
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(file, LAUNCHER_SCRIPT, { mode: 0o755 });
  return file;
}
