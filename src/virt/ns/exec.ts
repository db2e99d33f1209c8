import { execFile } from "node:child_process";

/** What a host tool printed. */
export interface ToolOutput {
  stdout: string;
  stderr: string;
}

/** A host tool that failed: its command and what it said, for the caller's message. */
export class ToolFailed extends Error {
  constructor(
    readonly command: string,
    readonly stderr: string,
    readonly code: number | string | null,
  ) {
    super(`${command} failed (${code ?? "signal"}): ${stderr.trim() || "no output"}`);
  }
}

/**
 * Runs a host tool to its end (util-linux, tar, busybox): Node cannot unshare, mount or
 * mknod itself. Rejects with ToolFailed, never with a half-read output.
 */
export function run(
  file: string,
  args: readonly string[],
  options: { input?: string | Buffer; timeoutMs?: number; maxBuffer?: number } = {},
): Promise<ToolOutput & { stdoutBuffer: Buffer }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        encoding: "buffer",
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: options.maxBuffer ?? 64 * 1024 * 1024,
        env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
      },
      (error, stdout, stderr) => {
        const err = stderr.toString("utf8");
        if (error) {
          const code = (error as NodeJS.ErrnoException).code ?? null;
          reject(new ToolFailed([file, ...args].join(" "), err || error.message, code));
          return;
        }
        resolve({ stdout: stdout.toString("utf8"), stderr: err, stdoutBuffer: stdout });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** `value` as one word for sh, whatever it holds. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
