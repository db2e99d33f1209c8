import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const REPO = path.resolve(import.meta.dirname, "..");
const NIMBUS_BIN = path.join(REPO, "bin", "nimbus.js");

/** A free TCP port on 127.0.0.1 (the kernel's pick, released just before nimbus binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The status of one `GET url` on a fresh connection, or null if nothing answered. */
function probe(url: string): Promise<number | null> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? null));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(null));
  });
}

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
}

/**
 * A `nimbus serve` child process on a fresh data directory and a free port. Owns both:
 * {@link stop} ends the process and removes the directory.
 */
export class NimbusProcess {
  readonly #child: ChildProcess;
  readonly #output: string[] = [];
  #exit: { code: number | null; signal: string | null } | null = null;
  readonly #exited: Promise<void>;

  private constructor(
    child: ChildProcess,
    readonly baseUrl: string,
    readonly dataDir: string,
  ) {
    this.#child = child;
    const keep = (chunk: Buffer) => {
      this.#output.push(chunk.toString("utf8"));
      if (this.#output.length > 200) this.#output.shift();
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    this.#exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        this.#exit = { code, signal };
        resolve();
      }),
    );
  }

  /** Milliseconds from spawn to the first 200 on `GET /compute/v2.1`. */
  firstOkMs = Number.NaN;

  get pid(): number {
    return this.#child.pid!;
  }

  get running(): boolean {
    return this.#exit === null;
  }

  /** The clouds.yaml nimbus wrote into its data directory on first start. */
  get cloudsYaml(): string {
    return path.join(this.dataDir, "clouds.yaml");
  }

  /** The last lines nimbus printed, for error messages. */
  outputTail(lines = 20): string {
    return this.#output.join("").split("\n").slice(-lines).join("\n");
  }

  rssBytes(): number | null {
    return procStatusBytes(this.pid, "VmRSS");
  }

  peakRssBytes(): number | null {
    return procStatusBytes(this.pid, "VmHWM");
  }

  static async start(options: NimbusStartOptions): Promise<NimbusProcess> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "nimbus-bench-"));
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    // NIMBUS_* settings of the caller's shell must not leak into a benchmark's nimbus.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("NIMBUS_")));
    const args = [
      NIMBUS_BIN,
      "serve",
      "--port",
      String(port),
      "--host",
      "127.0.0.1",
      "--data-dir",
      dataDir,
      "--fake-step-ms",
      String(options.fakeStepMs),
      "--log-level",
      options.logLevel,
    ];
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] });
    const nimbus = new NimbusProcess(child, baseUrl, dataDir);
    try {
      for (;;) {
        if (!nimbus.running)
          throw new Error(
            `nimbus exited (${JSON.stringify(nimbus.#exit)}) before answering:\n${nimbus.outputTail()}`,
          );
        if ((await probe(`${baseUrl}/compute/v2.1`)) === 200) break;
        if (performance.now() - started > options.timeoutMs)
          throw new Error(
            `nimbus did not answer 200 on /compute/v2.1 within ${options.timeoutMs} ms:\n${nimbus.outputTail()}`,
          );
        await sleep(5);
      }
      nimbus.firstOkMs = performance.now() - started;
      return nimbus;
    } catch (error) {
      await nimbus.stop();
      throw error;
    }
  }

  /** SIGTERM, then SIGKILL after 10 s; removes the data directory. */
  async stop(): Promise<void> {
    if (this.running) {
      this.#child.kill("SIGTERM");
      const killed = await Promise.race([
        this.#exited.then(() => true),
        sleep(10_000, undefined, { ref: false }).then(() => false),
      ]);
      if (!killed) {
        this.#child.kill("SIGKILL");
        await this.#exited;
      }
    }
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
