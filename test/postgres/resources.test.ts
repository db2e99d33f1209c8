// Flavors, keypairs and quotas through the compute API, on PostgreSQL (see test/postgres.ts).
import { runOnPostgres } from "../postgres.js";

runOnPostgres({
  flavors: () => import("../../src/http/compute/flavors.test.js"),
  "flavor-access": () => import("../../src/http/compute/flavor-access.test.js"),
  "flavor-extra-specs": () => import("../../src/http/compute/flavor-extra-specs.test.js"),
  keypairs: () => import("../../src/http/compute/keypairs.test.js"),
  "quota-sets": () => import("../../src/http/compute/quota-sets.test.js"),
  "quota-class-sets": () => import("../../src/http/compute/quota-class-sets.test.js"),
  limits: () => import("../../src/http/compute/limits.test.js"),
});
