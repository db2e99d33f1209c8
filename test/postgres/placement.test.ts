// Scheduling and placement's claims on PostgreSQL (see test/postgres.ts): the bounded
// candidate query, the use and free RAM kept with every claim, and racing creates that
// never put more on a host than it holds.
import { runOnPostgres } from "../postgres.js";

runOnPostgres({
  scheduler: () => import("../../src/services/compute/scheduler.test.js"),
  placement: () => import("../../src/services/compute/placement.test.js"),
  "scheduler-repository": () => import("../../src/store/scheduler-repository.test.js"),
  "placement-claims": () => import("../../src/http/compute/placement-claims.test.js"),
});
