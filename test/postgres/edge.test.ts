// The HTTP edge's refusals and fault formats for every API, on PostgreSQL (see test/postgres.ts).
import { runOnPostgres } from "../postgres.js";

runOnPostgres({
  edge: () => import("../../src/http/edge.test.js"),
});
