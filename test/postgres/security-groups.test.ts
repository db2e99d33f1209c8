// Security groups and their rules through their routes, on PostgreSQL (see
// test/postgres.ts): there concurrent first uses of a project really race to make its
// default group in parallel transactions, and the default_security_groups key decides.
import { runOnPostgres } from "../postgres.js";

runOnPostgres({
  "security group routes": () => import("../../src/http/network/security-groups.test.js"),
});
