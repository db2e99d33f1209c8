/**
 * `/sbin/init` of nimbus's default image: the "guest OS" of a busybox server. It installs
 * its TERM trap before anything else (a pid-namespace init ignores signals it has no
 * handler for, so a stop sent before the trap would be lost), then prints its boot log:
 * hostname, loopback up, the key pair's public key into /root/.ssh/authorized_keys and the
 * user-data run when it is a `#!` script (once per server, as cloud-init runs user-data
 * scripts once per instance id: a server booted from another's snapshot runs its own), its
 * output going to the console. With a pty as its console (/dev/console) it keeps a root
 * shell there, the serial console's. Then it idles in a loop
 * that a signal interrupts at once (`sleep 1 & wait $!`: sh runs traps only between
 * commands).
 *
 * What the host gives it, in the server's disk before each boot: /etc/nimbus/hostname,
 * instance-id (the server's uuid), user-data and authorized_keys (see guest-config.ts).
 */
export const GUEST_INIT = `#!/bin/sh
trap 'echo "nimbus-init: got TERM, powering off"; exit 0' TERM
PATH=/sbin:/bin:/usr/sbin:/usr/bin
HOME=/root
export PATH HOME
C=/etc/nimbus
echo "nimbus-init: booting $(uname -sr) as pid $$"
[ -e /proc/self ] || mount -t proc proc /proc
if [ -s $C/hostname ]; then hostname "$(cat $C/hostname)"; fi
hostname > /etc/hostname
echo "nimbus-init: hostname $(hostname)"
ip link set lo up 2>/dev/null && echo "nimbus-init: network: lo up"
if [ -s $C/authorized_keys ]; then
  mkdir -p /root/.ssh && chmod 700 /root/.ssh
  cat $C/authorized_keys > /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys
  echo "nimbus-init: installed $(grep -c . /root/.ssh/authorized_keys) key(s) into /root/.ssh/authorized_keys"
fi
mkdir -p /var/lib/nimbus
ID=$(cat $C/instance-id 2>/dev/null)
if [ -s $C/user-data ] && [ "$(cat /var/lib/nimbus/user-data.done 2>/dev/null)" != "$ID" ]; then
  echo "$ID" > /var/lib/nimbus/user-data.done
  if [ "$(head -c 2 $C/user-data)" = "#!" ]; then
    cp $C/user-data /var/lib/nimbus/user-data.script && chmod 700 /var/lib/nimbus/user-data.script
    echo "nimbus-init: running user-data script"
    /var/lib/nimbus/user-data.script
    echo "nimbus-init: user-data script exited with $?"
  else
    echo "nimbus-init: user-data is not a #! script: not run"
  fi
fi
echo "nimbus-init: $(hostname) is up"
if [ -c /dev/console ] && tty -s </dev/console 2>/dev/null; then
  # a root shell on the serial console (reached only through the compute API's console URL)
  ( trap - TERM; while :; do setsid -c sh -l </dev/console >/dev/console 2>&1; sleep 1; done ) &
fi
while :; do sleep 1 & wait $!; done
`;
