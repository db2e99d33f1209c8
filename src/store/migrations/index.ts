import type { Migration } from "kysely";
import * as initial from "./0001-initial.js";
import * as image from "./0003-image.js";
import * as computeResources from "./0004-compute-resources.js";
import * as serverGroups from "./0005-server-groups.js";
import * as computeHosts from "./0006-compute-hosts.js";
import * as shelvedImage from "./0007-shelved-image.js";
import * as aggregates from "./0008-aggregates.js";
import * as migrationRecords from "./0009-migrations.js";
import * as authFailures from "./0010-auth-failures.js";
import * as network from "./0011-network.js";
import * as securityGroups from "./0012-security-groups.js";
import * as routers from "./0013-routers.js";
import * as serverPorts from "./0014-server-ports.js";
import * as networkQuotas from "./0015-network-quotas.js";
import * as autoAllocatedTopologies from "./0016-auto-allocated-topologies.js";
import * as consoleAuthTokens from "./0017-console-auth-tokens.js";
import * as projectUserQuotas from "./0018-project-user-quotas.js";
import * as instanceAutoDiskConfig from "./0019-instance-auto-disk-config.js";
import * as placement from "./0020-placement.js";
import * as schedulerCandidates from "./0021-scheduler-candidates.js";
import * as liveMigrationProgress from "./0022-live-migration-progress.js";

/** Every migration, in order. Names sort lexically, as Kysely's migrator requires. */
export const migrations: Record<string, Migration> = {
  "0001-initial": initial,
  "0003-image": image,
  "0004-compute-resources": computeResources,
  "0005-server-groups": serverGroups,
  "0006-compute-hosts": computeHosts,
  "0007-shelved-image": shelvedImage,
  "0008-aggregates": aggregates,
  "0009-migrations": migrationRecords,
  "0010-auth-failures": authFailures,
  "0011-network": network,
  "0012-security-groups": securityGroups,
  "0013-routers": routers,
  "0014-server-ports": serverPorts,
  "0015-network-quotas": networkQuotas,
  "0016-auto-allocated-topologies": autoAllocatedTopologies,
  "0017-console-auth-tokens": consoleAuthTokens,
  "0018-project-user-quotas": projectUserQuotas,
  "0019-instance-auto-disk-config": instanceAutoDiskConfig,
  "0020-placement": placement,
  "0021-scheduler-candidates": schedulerCandidates,
  "0022-live-migration-progress": liveMigrationProgress,
};
