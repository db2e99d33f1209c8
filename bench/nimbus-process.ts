import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type NimbusChild, spawnNimbus } from "../test/nimbus-child.js";

/** Reads a `/proc/<pid>/status` field given in kB (VmRSS, VmHWM) as bytes; null where /proc is missing. */
export function procStatusBytes(pid: number, field: "VmRSS" | "VmHWM"): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export interface NimbusStartOptions {
  /** Delay of each fake-driver step; 0 = immediate. */
  fakeStepMs: number;
  logLevel: string;
  /** Give up if nimbus has not answered 200 within this time. */
  timeoutMs: number;
  /** Extra `nimbus serve` flags. */
  args?: readonly string[];
}

/**
 * A `nimbus serve` child process on a fresh data directory and a free port. Owns both:
 * {@link stop} ends the process and removes the directory.
 */
export class NimbusProcess {
  readonly #nimbus: NimbusChild;

  private constructor(nimbus: NimbusChild) {
    this.#nimbus = nimbus;
  }

  get baseUrl(): string {
    return this.#nimbus.url;
  }

  get dataDir(): string {
    return this.#nimbus.dataDir;
  }

  /** Milliseconds from spawn to the first 200 on `GET /compute/v2.1`. */
  get firstOkMs(): number {
    return this.#nimbus.firstOkMs;
  }

  get pid(): number {
    return this.#nimbus.child.pid!;
  }

  get running(): boolean {
    return this.#nimbus.alive();
  }

  /** The clouds.yaml nimbus wrote into its data directory on first start. */
  get cloudsYaml(): string {
    return path.join(this.dataDir, "clouds.yaml");
  }

  /** The last lines nimbus printed, for error messages. */
  outputTail(lines = 20): string {
    return this.#nimbus.output().split("\n").slice(-lines).join("\n");
  }

  /** Calls `listener` with every whole line nimbus writes to stdout (its structured log) from now on. */
  onStdoutLine(listener: (line: string) => void): void {
    let partial = "";
    this.#nimbus.child.stdout?.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString("utf8")).split("\n");
      partial = lines.pop()!;
      for (const line of lines) listener(line);
    });
  }

  rssBytes(): number | null {
    return procStatusBytes(this.pid, "VmRSS");
  }

  peakRssBytes(): number | null {
    return procStatusBytes(this.pid, "VmHWM");
  }

  static async start(options: NimbusStartOptions): Promise<NimbusProcess> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "nimbus-bench-"));
    try {
      return new NimbusProcess(
        await spawnNimbus({
          dataDir,
          fakeStepMs: options.fakeStepMs,
          logLevel: options.logLevel,
          readyTimeoutMs: options.timeoutMs,
          args: options.args,
        }),
      );
    } catch (error) {
      fs.rmSync(dataDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** SIGTERM, then SIGKILL after 10 s; removes the data directory. */
  async stop(): Promise<void> {
    await this.#nimbus.stop(10_000);
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
