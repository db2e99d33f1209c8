import type { Transaction } from "kysely";
import type { Db } from "../../store/database.js";
import { NetworkQuotaRepository, type NetworkQuotaResource } from "../../store/network-quota-repository.js";
import type { Database } from "../../store/schema.js";
import type { AuthContext } from "../context.js";
import {
  AdminRequired,
  OverQuota,
  PolicyNotAuthorized,
  QuotaLimitBelowUsage,
  TenantQuotaNotFound,
} from "./errors.js";

/** Neutron's [QUOTAS] defaults for the resources nimbus has. */
export const NETWORK_QUOTA_DEFAULTS: Readonly<Record<NetworkQuotaResource, number>> = {
  network: 100,
  subnet: 100,
  port: 500,
  router: 10,
  floatingip: 50,
  security_group: 10,
  security_group_rule: 100,
};

export type NetworkQuotaLimits = Record<NetworkQuotaResource, number>;
export const NETWORK_QUOTA_RESOURCES = Object.keys(NETWORK_QUOTA_DEFAULTS) as NetworkQuotaResource[];

/** quota_details: limit, what the project has, and reservations (nimbus counts, it never reserves). */
export interface QuotaDetail {
  limit: number;
  used: number;
  reserved: 0;
}

/** A project's limits in the list of every project with limits set. */
export type ProjectQuota = NetworkQuotaLimits & { project_id: string; tenant_id: string };

/** Any limit at or below this is no limit (Neutron's UNLIMITED_QUOTA). */
const UNLIMITED = -1;

const isResource = (name: string): name is NetworkQuotaResource =>
  Object.hasOwn(NETWORK_QUOTA_DEFAULTS, name);

/**
 * Neutron's quotas as its DbQuotaDriver keeps them: defaults, per-project limits over them,
 * usage counted from the resources themselves. `check` runs inside the transaction that
 * inserts the resource, after taking the lock row of the project's count, so concurrent
 * creates never overshoot a limit.
 */
export class NetworkQuotas {
  readonly #repo: NetworkQuotaRepository;

  constructor(private readonly db: Db) {
    this.#repo = new NetworkQuotaRepository(db);
  }

  /** Neutron's get_quota (admin, or a manager, may read any project's). */
  #checkRead(caller: AuthContext, projectId?: string): void {
    if (projectId !== undefined && projectId === caller.projectId) return;
    if (!caller.isAdmin && !caller.roles.includes("manager")) throw new PolicyNotAuthorized("get_quota");
  }

  /** Neutron's update_quota and delete_quota: admin only. */
  authorizeChange(caller: AuthContext, rule: "update_quota" | "delete_quota"): void {
    if (!caller.isAdmin) throw new PolicyNotAuthorized(rule);
  }

  defaults(caller: AuthContext, projectId: string): NetworkQuotaLimits {
    this.#checkRead(caller, projectId);
    return { ...NETWORK_QUOTA_DEFAULTS };
  }

  async show(caller: AuthContext, projectId: string): Promise<NetworkQuotaLimits> {
    this.#checkRead(caller, projectId);
    return this.limitsFor(projectId);
  }

  /** The project's limits: its own where set, the defaults elsewhere. */
  async limitsFor(projectId: string, ex: Db | Transaction<Database> = this.db): Promise<NetworkQuotaLimits> {
    const limits: NetworkQuotaLimits = { ...NETWORK_QUOTA_DEFAULTS };
    for (const [resource, limit] of Object.entries(await this.#repo.limits(projectId, ex)))
      if (isResource(resource)) limits[resource] = limit;
    return limits;
  }

  /** Every project with a limit of its own, with all its limits. */
  async list(caller: AuthContext): Promise<ProjectQuota[]> {
    this.#checkRead(caller);
    const out: ProjectQuota[] = [];
    for (const [projectId, set] of await this.#repo.allLimits()) {
      const limits: NetworkQuotaLimits = { ...NETWORK_QUOTA_DEFAULTS };
      for (const [resource, limit] of Object.entries(set)) if (isResource(resource)) limits[resource] = limit;
      out.push({ ...limits, project_id: projectId, tenant_id: projectId });
    }
    return out;
  }

  /** quota_details: only an admin reads another project's (Neutron's AdminRequired, not a policy). */
  async details(caller: AuthContext, projectId: string): Promise<Record<NetworkQuotaResource, QuotaDetail>> {
    if (projectId !== caller.projectId && !caller.isAdmin)
      throw new AdminRequired("Only admin is authorized to access quotas for another project");
    const limits = await this.limitsFor(projectId);
    const out = {} as Record<NetworkQuotaResource, QuotaDetail>;
    for (const resource of NETWORK_QUOTA_RESOURCES)
      out[resource] = {
        limit: limits[resource],
        used: await this.#repo.count(resource, projectId),
        reserved: 0,
      };
    return out;
  }

  /**
   * Sets some of a project's limits. Unless `force`, a limit below what the project already
   * has is refused, as Neutron checks since 2025.1; the counts are taken under their locks
   * so a concurrent create cannot slip past the new limit.
   */
  async update(
    caller: AuthContext,
    projectId: string,
    requested: Partial<NetworkQuotaLimits>,
    force: boolean,
  ): Promise<NetworkQuotaLimits> {
    this.authorizeChange(caller, "update_quota");
    await this.db.transaction().execute(async (trx) => {
      for (const [resource, limit] of Object.entries(requested) as Array<[NetworkQuotaResource, number]>) {
        if (!force && limit !== UNLIMITED) {
          await this.#repo.lock(trx, projectId, resource);
          const used = await this.#repo.count(resource, projectId, trx);
          if (used > limit) throw new QuotaLimitBelowUsage(limit, resource, used);
        }
        await this.#repo.setLimit(trx, projectId, resource, limit);
      }
    });
    return this.limitsFor(projectId);
  }

  /** Puts a project back on the defaults; TenantQuotaNotFound when it had no limits of its own. */
  async reset(caller: AuthContext, projectId: string): Promise<void> {
    this.authorizeChange(caller, "delete_quota");
    if ((await this.#repo.deleteLimits(projectId)) === 0) throw new TenantQuotaNotFound(projectId);
  }

  /**
   * Call inside the transaction that creates `delta` of a project's resources, before the
   * insert: locks the project's count of the resource, then refuses (OverQuota) a create
   * that would take it past the limit.
   */
  async check(
    trx: Transaction<Database>,
    projectId: string,
    resource: NetworkQuotaResource,
    delta = 1,
  ): Promise<void> {
    await this.#repo.lock(trx, projectId, resource);
    const limit = (await this.limitsFor(projectId, trx))[resource];
    if (limit <= UNLIMITED) return;
    if ((await this.#repo.count(resource, projectId, trx)) + delta > limit) throw new OverQuota([resource]);
  }
}
