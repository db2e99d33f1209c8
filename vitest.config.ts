import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "bench/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // nova's response_validation=error: every compute response a test provokes, in process
    // or from a spawned nimbus, is checked against nova's response schema for its version.
    env: { NIMBUS_RESPONSE_VALIDATION: "error" },
  },
});
