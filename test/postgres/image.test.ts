// The image API (Glance v2) through its routes, on PostgreSQL (see test/postgres.ts).
import { runOnPostgres } from "../postgres.js";

runOnPostgres({
  "image routes": () => import("../../src/http/image/router.test.js"),
  "image limits": () => import("../../src/http/image/limits.test.js"),
});
