// The store and the services that query it, on PostgreSQL (see test/postgres.ts).
import { runOnPostgres } from "../postgres.js";

runOnPostgres({
  dialect: () => import("../../src/store/dialect.test.js"),
  "quota-service": () => import("../../src/services/quota/quota-service.test.js"),
  engine: () => import("../../src/tasks/engine.test.js"),
  "keypair-service": () => import("../../src/services/compute/keypair-service.test.js"),
  "flavor-service": () => import("../../src/services/compute/flavor-service.test.js"),
  "host-service": () => import("../../src/services/compute/host-service.test.js"),
  "aggregate-service": () => import("../../src/services/compute/aggregate-service.test.js"),
  "image-service": () => import("../../src/services/image/image-service.test.js"),
  "identity-service": () => import("../../src/services/identity/identity-service.test.js"),
  bootstrap: () => import("../../src/services/identity/bootstrap.test.js"),
});
