import type { Migration } from "kysely";
import * as initial from "./0001-initial.js";
import * as image from "./0003-image.js";
import * as computeResources from "./0004-compute-resources.js";

/** Every migration, in order. Names sort lexically, as Kysely's migrator requires. */
export const migrations: Record<string, Migration> = {
  "0001-initial": initial,
  "0003-image": image,
  "0004-compute-resources": computeResources,
};
