// Server actions through their states on PostgreSQL (see test/postgres.ts): reboot, stop and
// start, pause, suspend, resize, rebuild, snapshot, lock, reset-state ...
import { runOnPostgres } from "../postgres.js";

runOnPostgres({
  "server-actions": () => import("../../src/http/compute/server-actions.test.js"),
});
