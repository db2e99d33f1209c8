import fs from "node:fs/promises";

/** The most of a console log os-getConsoleOutput reads (nova's libvirt caps it at 100 KiB; a busybox log is small). */
export const CONSOLE_TAIL_BYTES = 1024 * 1024;

/** The last `maxBytes` of the console file (from a line start when cut), "" when there is none yet. */
export async function readConsole(file: string, maxBytes = CONSOLE_TAIL_BYTES): Promise<string> {
  const handle = await fs.open(file).catch(() => undefined);
  if (!handle) return "";
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - maxBytes);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    // the console is a pty: its line discipline ends lines with CR LF
    const text = buffer.toString("utf8").replaceAll("\r\n", "\n");
    if (start === 0) return text;
    const newline = text.indexOf("\n");
    return newline < 0 ? text : text.slice(newline + 1);
  } finally {
    await handle.close();
  }
}

/** Adds a line of the host's to the console (what happened to the server from outside: suspend, rescue). */
export async function consoleNote(file: string, line: string): Promise<void> {
  await fs.appendFile(file, `[nimbus] ${line}\n`);
}
