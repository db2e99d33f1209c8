/**
 * The real `nimbus serve` as a child process on a free loopback port: what the
 * end-to-end tests drive and what the benchmarks measure. Callers choose the data
 * directory and settings; this module starts the process, waits for its first 200 on
 * `/compute/v2.1`, keeps the tail of its output and stops it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const ROOT = path.resolve(import.meta.dirname, "..");
const NIMBUS_BIN = path.join(ROOT, "bin", "nimbus.js");

/** Output kept per process: enough for an error message, bounded on chatty log levels. */
const OUTPUT_KEEP_CHARS = 1_000_000;

/** A port nobody listens on right now (the kernel picks it; it is closed again at once). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
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

export interface SpawnOptions {
  dataDir: string;
  /** A free one when not given. */
  port?: number;
  /** Delay of each fake-driver step; 0 = immediate. */
  fakeStepMs: number;
  logLevel: string;
  /** Extra command-line flags. */
  args?: readonly string[];
  /**
   * Environment on top of the caller's, whose NIMBUS_* and OS_* variables are dropped:
   * settings of the shell that runs the tests must not leak into the process under test.
   */
  env?: Record<string, string>;
  /** Give up if the process has not answered 200 within this time. */
  readyTimeoutMs: number;
}

export interface NimbusChild {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly dataDir: string;
  readonly child: ChildProcess;
  /** Milliseconds from spawn to the first 200 on `GET /compute/v2.1`. */
  readonly firstOkMs: number;
  /** What it wrote to stdout and stderr (the last megabyte). */
  output(): string;
  /** What it wrote to stdout alone (its structured log; the last megabyte). */
  stdout(): string;
  /** What it wrote to stderr alone (what it tells the operator's terminal; the last megabyte). */
  stderr(): string;
  alive(): boolean;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL: the crash. Resolves once the process is gone. */
  kill9(): Promise<void>;
}

/** Children still running when the test or bench process exits are killed with it. */
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Starts `nimbus serve` and resolves once `GET /compute/v2.1` answers 200. */
export async function spawnNimbus(options: SpawnOptions): Promise<NimbusChild> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key.startsWith("OS_") || key.startsWith("NIMBUS_")) continue;
    env[key] = value;
  }
  Object.assign(env, options.env);
  const args = [
    NIMBUS_BIN,
    "serve",
    ...["--port", String(port), "--host", "127.0.0.1", "--data-dir", options.dataDir],
    ...["--fake-step-ms", String(options.fakeStepMs), "--log-level", options.logLevel],
    ...(options.args ?? []),
  ];
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  child.once("exit", () => running.delete(child));
  let log = "";
  const streams = { stdout: "", stderr: "" };
  const append = (stream: keyof typeof streams) => (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    log += text;
    if (log.length > 2 * OUTPUT_KEEP_CHARS) log = log.slice(-OUTPUT_KEEP_CHARS);
    streams[stream] += text;
    if (streams[stream].length > 2 * OUTPUT_KEEP_CHARS)
      streams[stream] = streams[stream].slice(-OUTPUT_KEEP_CHARS);
  };
  child.stdout?.on("data", append("stdout"));
  child.stderr?.on("data", append("stderr"));

  const alive = () => child.exitCode === null && child.signalCode === null;
  const kill9 = async () => {
    if (!alive()) return;
    child.kill("SIGKILL");
    await exited(child);
  };
  try {
    for (;;) {
      if (!alive())
        throw new Error(`nimbus exited (${child.exitCode ?? child.signalCode}) while starting:\n${log}`);
      if ((await probe(`${url}/compute/v2.1`)) === 200) break;
      if (performance.now() - started > options.readyTimeoutMs)
        throw new Error(
          `nimbus did not answer 200 on ${url}/compute/v2.1 within ${options.readyTimeoutMs} ms:\n${log.slice(-4000)}`,
        );
      await sleep(5);
    }
  } catch (error) {
    await kill9();
    throw error;
  }
  return {
    port,
    url,
    dataDir: options.dataDir,
    child,
    firstOkMs: performance.now() - started,
    output: () => log,
    stdout: () => streams.stdout,
    stderr: () => streams.stderr,
    alive,
    async stop(graceMs = 5_000) {
      if (!alive()) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited(child);
      clearTimeout(timer);
    },
    kill9,
  };
}
