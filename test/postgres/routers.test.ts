// Routers and floating IPs (Neutron's L3 API) through their routes, on PostgreSQL (see
// test/postgres.ts): there two associations of one fixed IP, or two floating IP creates on
// a small external subnet, really run in parallel transactions.
import { runOnPostgres } from "../postgres.js";

runOnPostgres({
  "router and floating IP routes": () => import("../../src/http/network/routers.test.js"),
});
