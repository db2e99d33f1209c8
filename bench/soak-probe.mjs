// Preloaded into the nimbus under a soak (NODE_OPTIONS=--expose-gc --import=<this file>):
// every SOAK_PROBE_MS it collects garbage and appends one JSON line of process.memoryUsage()
// to SOAK_MEMORY_FILE, so the soak reads the heap that is really retained, not the garbage
// that happens to be waiting for the next collection. SOAK_COLLECT=0 samples without
// collecting, to see the process as it runs in production.
import fs from "node:fs";

const file = process.env.SOAK_MEMORY_FILE;
const everyMs = Number(process.env.SOAK_PROBE_MS) || 5000;
const collect = process.env.SOAK_COLLECT !== "0";

if (file) {
  const timer = setInterval(() => {
    if (collect) globalThis.gc?.();
    const usage = process.memoryUsage();
    fs.appendFileSync(file, `${JSON.stringify({ at: Date.now(), ...usage })}\n`);
  }, everyMs);
  // the probe must never be what keeps nimbus running
  timer.unref();
}
