// Neutron's network IP availability through its routes, on PostgreSQL (see
// test/postgres.ts): the per-subnet address counts are an aggregate PostgreSQL returns as text.
import { runOnPostgres } from "../postgres.js";

runOnPostgres({
  "network IP availability routes": () => import("../../src/http/network/ip-availability.test.js"),
});
