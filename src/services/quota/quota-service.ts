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

/**
 * Resources nova keeps per project only (its PER_PROJECT_QUOTAS, less nova-network's
 * `networks`): setting one with a user_id sets the project's limit.
 */
const PER_PROJECT_RESOURCES: ReadonlySet<QuotaResource> = new Set(["fixed_ips", "floating_ips"]);

/** nova's comparisons treat -1 (or less) as no limit at all. */
const asCap = (limit: number) => (limit <= UNLIMITED ? Number.POSITIVE_INFINITY : limit);

/** What a quota check compares: the limits, the counted usage and the wanted growth. */
interface QuotaScope {
  limits: InstanceUsage;
  usage: InstanceUsage;
}

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
   * A user's limits inside a project (nova's get_user_quotas): the user's own where an
   * admin set them, the project's elsewhere.
   */
  async userLimitsFor(projectId: string, userId: string, executor: Executor = this.db): Promise<QuotaLimits> {
    const limits = await this.limitsFor(projectId, executor);
    for (const [resource, value] of Object.entries(
      await this.#repo.userLimits(projectId, userId, executor),
    )) {
      if (isQuotaResource(resource)) limits[resource] = value;
    }
    return limits;
  }

  /** The project's limits, or with `userId` that user's. */
  async limitsOf(projectId: string, userId?: string, executor: Executor = this.db): Promise<QuotaLimits> {
    return userId === undefined
      ? this.limitsFor(projectId, executor)
      : this.userLimitsFor(projectId, userId, executor);
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

  /**
   * Limit, usage and (always 0) reservations per resource: os-quota-sets detail and /limits;
   * with `userId`, the user's limits and usage.
   */
  async detailFor(projectId: string, userId?: string): Promise<Record<QuotaResource, QuotaUsage>> {
    const [limits, usage] = await Promise.all([
      this.limitsOf(projectId, userId),
      this.usageFor(projectId, userId),
    ]);
    return Object.fromEntries(
      QUOTA_RESOURCES.map((r) => [r, { limit: limits[r], in_use: usage[r], reserved: 0 }]),
    ) as Record<QuotaResource, QuotaUsage>;
  }

  /**
   * Sets some of a project's limits, or with `userId` some of that user's (nova's
   * os-quota-sets update). Unless `force`, each value must lie in nova's settable range
   * (get_settable_quotas), checked for every value before any is written: a project's
   * limit covers its usage and the limits given to its users; a user's limit covers the
   * user's usage and fits in what the project has not given to its other users.
   */
  async update(
    projectId: string,
    requested: Partial<Record<QuotaResource, number>>,
    options: { force: boolean; userId?: string },
  ): Promise<QuotaLimits> {
    const { userId } = options;
    await this.db.transaction().execute(async (trx) => {
      await this.#repo.lock(trx, projectId);
      if (!options.force) {
        const ranges = await this.#settable(trx, projectId, userId);
        for (const [resource, limit] of Object.entries(requested) as Array<[QuotaResource, number]>) {
          const { minimum, maximum } = ranges[resource];
          if (asCap(limit) < asCap(minimum)) {
            throw new InvalidInput(
              `Quota limit ${limit} for ${resource} must be greater than or equal to already used and reserved ${minimum}.`,
            );
          }
          if (asCap(limit) > asCap(maximum)) {
            throw new InvalidInput(
              `Quota limit ${limit} for ${resource} must be less than or equal to ${maximum}.`,
            );
          }
        }
      }
      if (userId === undefined) {
        await this.#repo.setLimits(trx, projectId, requested);
        return;
      }
      const perUser = Object.entries(requested).filter(
        ([r]) => !PER_PROJECT_RESOURCES.has(r as QuotaResource),
      );
      const perProject = Object.entries(requested).filter(([r]) =>
        PER_PROJECT_RESOURCES.has(r as QuotaResource),
      );
      await this.#repo.setUserLimits(trx, projectId, userId, Object.fromEntries(perUser));
      await this.#repo.setLimits(trx, projectId, Object.fromEntries(perProject));
    });
    return this.limitsOf(projectId, userId);
  }

  /** nova's get_settable_quotas: the range each limit of the project (or of one user) may take. */
  async #settable(
    trx: Transaction<Database>,
    projectId: string,
    userId: string | undefined,
  ): Promise<Record<QuotaResource, { minimum: number; maximum: number }>> {
    const projectLimits = await this.limitsFor(projectId, trx);
    const given = await this.#repo.userLimitSums(trx, projectId);
    // what the project has not given to its users; plain subtraction, as nova's _process_quotas
    const remains = (r: QuotaResource) => projectLimits[r] - (given[r] ?? 0);
    const usage = await this.usageFor(projectId, userId, trx);
    const ranges = {} as Record<QuotaResource, { minimum: number; maximum: number }>;
    if (userId === undefined) {
      for (const r of QUOTA_RESOURCES) {
        const left = remains(r);
        const givenOut =
          projectLimits[r] <= UNLIMITED || left <= UNLIMITED ? UNLIMITED : projectLimits[r] - left;
        ranges[r] = { minimum: Math.max(givenOut, usage[r]), maximum: UNLIMITED };
      }
      return ranges;
    }
    const own = await this.#repo.userLimits(projectId, userId, trx);
    for (const r of QUOTA_RESOURCES) {
      const left = remains(r);
      const mine = own[r] ?? 0;
      const maximum = left <= UNLIMITED || mine <= UNLIMITED ? UNLIMITED : left + mine;
      ranges[r] = { minimum: usage[r], maximum };
    }
    return ranges;
  }

  /** Drops every limit set for the project (its users' too), or with `userId` only that user's. */
  async reset(projectId: string, userId?: string): Promise<void> {
    if (userId === undefined) await this.#repo.deleteLimits(projectId);
    else await this.#repo.deleteUserLimits(projectId, userId);
  }

  /**
   * Call inside the transaction that inserts or grows the project's servers, before the
   * change: locks the project, counts its live servers and throws QuotaExceeded (nova's
   * TooManyInstances wording) when usage + delta passes a limit. Only growing resources
   * (delta > 0) are checked, so shrinking or keeping a size never fails. With `userId`,
   * a user who has limits of their own for servers, cores or RAM is held to them too,
   * counting that user's servers (nova's check_num_instances_quota).
   */
  async checkInstances(
    trx: Transaction<Database> | Db,
    projectId: string,
    delta: { instances: number; cores: number; ram: number },
    userId?: string,
  ): Promise<void> {
    await this.#repo.lock(trx, projectId);
    const project: QuotaScope = {
      limits: await this.limitsFor(projectId, trx),
      usage: await this.#repo.instanceUsage(trx, projectId),
    };
    const own = userId === undefined ? {} : await this.#repo.userLimits(projectId, userId, trx);
    const user: QuotaScope | undefined = INSTANCE_RESOURCES.some((r) => Object.hasOwn(own, r))
      ? {
          limits: await this.userLimitsFor(projectId, userId!, trx),
          usage: await this.#repo.instanceUsage(trx, projectId, userId),
        }
      : undefined;
    const exceeds = (scope: QuotaScope, r: (typeof INSTANCE_RESOURCES)[number]) =>
      scope.usage[r] + delta[r] > asCap(scope.limits[r]);
    // as nova's limit_check_project_and_user: a resource over the project's limit counts as
    // the project's; one over only the user's makes the whole answer the user's
    const overs = INSTANCE_RESOURCES.filter(
      (r) => delta[r] > 0 && (exceeds(project, r) || (user !== undefined && exceeds(user, r))),
    );
    if (overs.length === 0) return;
    const scope = user !== undefined && overs.some((r) => !exceeds(project, r)) ? user : project;
    const list = (values: Array<string | number>) => values.join(", ");
    const names = list(overs);
    throw new QuotaExceeded(
      `Quota exceeded for ${names}: Requested ${list(overs.map((r) => delta[r]))}, ` +
        `but already used ${list(overs.map((r) => scope.usage[r]))} of ${list(overs.map((r) => scope.limits[r]))} ${names}`,
    );
  }

  /**
   * The tighter of the project's and the user's limit for a resource nova checks for both
   * at once (its merged limits in limit_check_project_and_user); -1 when neither limits it.
   */
  async #tighterLimit(
    executor: Executor,
    projectId: string,
    userId: string | undefined,
    resource: QuotaResource,
  ): Promise<number> {
    const project = (await this.limitsFor(projectId, executor))[resource];
    if (userId === undefined) return project;
    const user = (await this.userLimitsFor(projectId, userId, executor))[resource];
    const tighter = Math.min(asCap(project), asCap(user));
    return tighter === Number.POSITIVE_INFINITY ? UNLIMITED : tighter;
  }

  /**
   * Server metadata item count against metadata_items, the user's limit included when
   * given (nova's MetadataLimitExceeded, 403).
   */
  async checkMetadataItems(projectId: string, count: number, userId?: string): Promise<void> {
    const allowed = await this.#tighterLimit(this.db, projectId, userId, "metadata_items");
    if (allowed !== UNLIMITED && count > allowed) {
      throw new QuotaExceeded(`Maximum number of metadata items exceeds ${allowed}`);
    }
  }

  /**
   * Call inside the transaction that inserts a keypair: nova counts key_pairs per user
   * against the tighter of the project's limit and the user's own. Locks the user's count first.
   */
  async checkKeypairs(
    trx: Transaction<Database> | Db,
    projectId: string,
    userId: string,
    delta = 1,
  ): Promise<void> {
    await this.#repo.lock(trx, userLockKey(userId));
    const allowed = await this.#tighterLimit(trx, projectId, userId, "key_pairs");
    if (allowed === UNLIMITED) return;
    const used = await this.#repo.keypairCount(trx, userId);
    if (used + delta > allowed) throw new QuotaExceeded("Quota exceeded, too many key pairs.");
  }

  /**
   * Call inside the transaction that inserts a server group: the project's groups against
   * its server_groups limit and, with `userId`, the user's groups against the user's own
   * limit where one is set (nova's ServerGroupLimitExceeded, 403).
   */
  async checkServerGroups(
    trx: Transaction<Database> | Db,
    projectId: string,
    userId?: string,
  ): Promise<void> {
    await this.#repo.lock(trx, projectId);
    const tooMany = () => new QuotaExceeded("Quota exceeded, too many server groups.");
    const { server_groups: allowed } = await this.limitsFor(projectId, trx);
    if (allowed !== UNLIMITED && (await this.#groups.count(trx, projectId)) + 1 > allowed) throw tooMany();
    if (userId === undefined) return;
    const own = (await this.#repo.userLimits(projectId, userId, trx)).server_groups;
    if (
      own !== undefined &&
      own !== UNLIMITED &&
      (await this.#groups.count(trx, projectId, userId)) + 1 > own
    ) {
      throw tooMany();
    }
  }

  /**
   * Call inside the transaction that adds `delta` servers of `userId` to a group: nova
   * counts server_group_members per group and user, against the tighter of the project's
   * limit and the user's own (its GroupMemberLimitExceeded, 403).
   */
  async checkServerGroupMembers(
    trx: Transaction<Database> | Db,
    projectId: string,
    groupUuid: string,
    userId: string,
    delta: number,
  ): Promise<void> {
    await this.#repo.lock(trx, groupLockKey(groupUuid));
    const allowed = await this.#tighterLimit(trx, projectId, userId, "server_group_members");
    if (allowed === UNLIMITED) return;
    if ((await this.#groups.countMembers(trx, groupUuid, userId)) + delta > allowed) {
      throw new QuotaExceeded("Quota exceeded, too many servers in group");
    }
  }
}
