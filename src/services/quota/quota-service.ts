import type { Transaction } from "kysely";
import type { Db } from "../../store/database.js";
import { QuotaClassRepository } from "../../store/quota-class-repository.js";
import { type InstanceUsage, QuotaRepository } from "../../store/quota-repository.js";
import type { Database } from "../../store/schema.js";
import { ServerGroupRepository } from "../../store/server-group-repository.js";
import { InvalidInput, QuotaExceeded } from "../errors.js";

/**
 * nova's quota resources (nova/quota.py) with their built-in default limits (nova's
 * [quota] configuration defaults; the `default` quota class overrides them).
 * The four network resources are nova-network leftovers kept for API compatibility:
 * nova reports them as unlimited (-1) and never counts them.
 */
export const QUOTA_DEFAULTS = {
  instances: 10,
  cores: 20,
  ram: 51200,
  metadata_items: 128,
  key_pairs: 100,
  server_groups: 10,
  server_group_members: 10,
  injected_files: 5,
  injected_file_content_bytes: 10240,
  injected_file_path_bytes: 255,
  floating_ips: -1,
  fixed_ips: -1,
  security_groups: -1,
  security_group_rules: -1,
} as const;

export type QuotaResource = keyof typeof QUOTA_DEFAULTS;
export type QuotaLimits = Record<QuotaResource, number>;
export const QUOTA_RESOURCES = Object.keys(QUOTA_DEFAULTS) as QuotaResource[];

/** The quota class whose limits are every project's defaults (nova's _DEFAULT_QUOTA_NAME). */
export const DEFAULT_QUOTA_CLASS = "default";

/** A limit with what counts against it; `reserved` is always 0 (nova counts, it does not reserve). */
export interface QuotaUsage {
  limit: number;
  in_use: number;
  reserved: number;
}

export type Executor = Db | Transaction<Database>;

const UNLIMITED = -1;
const INSTANCE_RESOURCES = ["instances", "cores", "ram"] as const;

const isQuotaResource = (name: string): name is QuotaResource => Object.hasOwn(QUOTA_DEFAULTS, name);

/** Lock key of the per-user key_pairs count (the quota_locks table also holds project ids). */
const userLockKey = (userId: string) => `user:${userId}`;
/** Lock key of a server group's member count. */
const groupLockKey = (groupUuid: string) => `server_group:${groupUuid}`;

/**
 * Project quotas the way nova's DbQuotaDriver keeps them: defaults, per-project limits
 * overriding them, usage counted from the records themselves. Checks that guard an insert
 * run inside the inserting transaction, after taking the project's lock row, so
 * concurrent requests can never overshoot a limit.
 */
export class QuotaService {
  readonly #repo: QuotaRepository;
  readonly #classes: QuotaClassRepository;
  readonly #groups: ServerGroupRepository;

  constructor(
    private readonly db: Db,
    repo?: QuotaRepository,
  ) {
    this.#repo = repo ?? new QuotaRepository(db);
    this.#classes = new QuotaClassRepository(db);
    this.#groups = new ServerGroupRepository(db);
  }

  /** Every project's default limits: the `default` quota class where set, the built-in defaults elsewhere. */
  async defaults(executor: Executor = this.db): Promise<QuotaLimits> {
    return this.classLimits(DEFAULT_QUOTA_CLASS, executor);
  }

  /**
   * A quota class's limits over the built-in defaults (nova's get_class_quotas). Any class
   * name has limits; only `default` is used for projects.
   */
  async classLimits(className: string, executor: Executor = this.db): Promise<QuotaLimits> {
    const limits: QuotaLimits = { ...QUOTA_DEFAULTS };
    for (const [resource, value] of Object.entries(await this.#classes.limits(className, executor))) {
      if (isQuotaResource(resource)) limits[resource] = value;
    }
    return limits;
  }

  /** Sets some of a quota class's limits (nova accepts any class name); returns all of them. */
  async updateClass(
    className: string,
    requested: Partial<Record<QuotaResource, number>>,
  ): Promise<QuotaLimits> {
    await this.#classes.setLimits(this.db, className, requested);
    return this.classLimits(className);
  }

  /** The project's limits: its own where set, the defaults elsewhere (-1 = unlimited). */
  async limitsFor(projectId: string, executor: Executor = this.db): Promise<QuotaLimits> {
    const limits = await this.defaults(executor);
    for (const [resource, value] of Object.entries(await this.#repo.limits(projectId, executor))) {
      if (isQuotaResource(resource)) limits[resource] = value;
    }
    return limits;
  }

  /**
   * Current usage per resource as nova reports it: servers, vCPUs and RAM counted from the
   * project's (or, with `userId`, that user's) live servers, server_groups from its server
   * groups; key_pairs and server_group_members are per-user (per-group) counts nova always
   * reports as 0 here; resources that are not counted (metadata_items, injected_*, network
   * ones) are 0.
   */
  async usageFor(projectId: string, userId?: string, executor: Executor = this.db): Promise<QuotaLimits> {
    const usage = Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, 0])) as QuotaLimits;
    const counted = await this.#repo.instanceUsage(executor, projectId, userId);
    for (const r of INSTANCE_RESOURCES) usage[r] = counted[r];
    usage.server_groups = await this.#groups.count(executor, projectId, userId);
    return usage;
  }

  /** Limit, usage and (always 0) reservations per resource: os-quota-sets detail and /limits. */
  async detailFor(projectId: string, userId?: string): Promise<Record<QuotaResource, QuotaUsage>> {
    const [limits, usage] = await Promise.all([this.limitsFor(projectId), this.usageFor(projectId, userId)]);
    return Object.fromEntries(
      QUOTA_RESOURCES.map((r) => [r, { limit: limits[r], in_use: usage[r], reserved: 0 }]),
    ) as Record<QuotaResource, QuotaUsage>;
  }

  /**
   * Sets some of a project's limits. Unless `force`, a limit below current usage is refused
   * with nova's 400 message (checked for every value before any is written).
   */
  async update(
    projectId: string,
    requested: Partial<Record<QuotaResource, number>>,
    options: { force: boolean },
  ): Promise<QuotaLimits> {
    await this.db.transaction().execute(async (trx) => {
      await this.#repo.lock(trx, projectId);
      if (!options.force) {
        const usage = await this.usageFor(projectId, undefined, trx);
        for (const [resource, limit] of Object.entries(requested) as Array<[QuotaResource, number]>) {
          const minimum = usage[resource];
          if (limit !== UNLIMITED && limit < minimum) {
            throw new InvalidInput(
              `Quota limit ${limit} for ${resource} must be greater than or equal to already used and reserved ${minimum}.`,
            );
          }
        }
      }
      await this.#repo.setLimits(trx, projectId, requested);
    });
    return this.limitsFor(projectId);
  }

  /** Drops every limit set for the project: it is back on the defaults. */
  async reset(projectId: string): Promise<void> {
    await this.#repo.deleteLimits(projectId);
  }

  /**
   * Call inside the transaction that inserts or grows the project's servers, before the
   * change: locks the project, counts its live servers and throws QuotaExceeded (nova's
   * TooManyInstances wording) when usage + delta passes a limit. Only growing resources
   * (delta > 0) are checked, so shrinking or keeping a size never fails.
   */
  async checkInstances(
    trx: Transaction<Database> | Db,
    projectId: string,
    delta: { instances: number; cores: number; ram: number },
  ): Promise<void> {
    await this.#repo.lock(trx, projectId);
    const limits = await this.limitsFor(projectId, trx);
    const usage: InstanceUsage = await this.#repo.instanceUsage(trx, projectId);
    const overs = INSTANCE_RESOURCES.filter(
      (r) => delta[r] > 0 && limits[r] !== UNLIMITED && usage[r] + delta[r] > limits[r],
    );
    if (overs.length === 0) return;
    const list = (values: Array<string | number>) => values.join(", ");
    const names = list(overs);
    throw new QuotaExceeded(
      `Quota exceeded for ${names}: Requested ${list(overs.map((r) => delta[r]))}, ` +
        `but already used ${list(overs.map((r) => usage[r]))} of ${list(overs.map((r) => limits[r]))} ${names}`,
    );
  }

  /** Server metadata item count against metadata_items (nova's MetadataLimitExceeded, 403). */
  async checkMetadataItems(projectId: string, count: number): Promise<void> {
    const { metadata_items: allowed } = await this.limitsFor(projectId);
    if (allowed !== UNLIMITED && count > allowed) {
      throw new QuotaExceeded(`Maximum number of metadata items exceeds ${allowed}`);
    }
  }

  /**
   * Call inside the transaction that inserts a keypair: nova counts key_pairs per user
   * against the limit of the caller's project. Locks the user's count first.
   */
  async checkKeypairs(
    trx: Transaction<Database> | Db,
    projectId: string,
    userId: string,
    delta = 1,
  ): Promise<void> {
    await this.#repo.lock(trx, userLockKey(userId));
    const { key_pairs: allowed } = await this.limitsFor(projectId, trx);
    if (allowed === UNLIMITED) return;
    const used = await this.#repo.keypairCount(trx, userId);
    if (used + delta > allowed) throw new QuotaExceeded("Quota exceeded, too many key pairs.");
  }

  /**
   * Call inside the transaction that inserts a server group: the project's groups against
   * its server_groups limit (nova's ServerGroupLimitExceeded, 403).
   */
  async checkServerGroups(trx: Transaction<Database> | Db, projectId: string): Promise<void> {
    await this.#repo.lock(trx, projectId);
    const { server_groups: allowed } = await this.limitsFor(projectId, trx);
    if (allowed === UNLIMITED) return;
    if ((await this.#groups.count(trx, projectId)) + 1 > allowed) {
      throw new QuotaExceeded("Quota exceeded, too many server groups.");
    }
  }

  /**
   * Call inside the transaction that adds `delta` servers of `userId` to a group: nova
   * counts server_group_members per group and user, against the limit of the caller's
   * project (its GroupMemberLimitExceeded, 403).
   */
  async checkServerGroupMembers(
    trx: Transaction<Database> | Db,
    projectId: string,
    groupUuid: string,
    userId: string,
    delta: number,
  ): Promise<void> {
    await this.#repo.lock(trx, groupLockKey(groupUuid));
    const { server_group_members: allowed } = await this.limitsFor(projectId, trx);
    if (allowed === UNLIMITED) return;
    if ((await this.#groups.countMembers(trx, groupUuid, userId)) + delta > allowed) {
      throw new QuotaExceeded("Quota exceeded, too many servers in group");
    }
  }
}
