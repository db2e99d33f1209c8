import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "bench/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // two files at once: most of the e2e time is spent waiting on the clients and nimbus
    // children they start, so a 2-core machine runs the suite in far less time than with
    // vitest's default of one worker there (cores - 1)
    maxWorkers: 2,
    // nova's response_validation=error: every compute response a test provokes, in process
    // or from a spawned nimbus, is checked against nova's response schema for its version.
    env: { NIMBUS_RESPONSE_VALIDATION: "error" },
  },
});
