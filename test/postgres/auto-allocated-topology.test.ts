// Neutron's auto-allocated topology through its routes, on PostgreSQL (see
// test/postgres.ts): there concurrent first calls of a project really build in parallel,
// and the claimed row per project is what leaves them one topology.
import { runOnPostgres } from "../postgres.js";

runOnPostgres({
  "auto-allocated topology routes": () => import("../../src/http/network/auto-allocated-topology.test.js"),
});
