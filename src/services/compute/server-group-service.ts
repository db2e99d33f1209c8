import { randomUUID } from "node:crypto";
import type { Transaction } from "kysely";
import type { Db } from "../../store/database.js";
import type { Database } from "../../store/schema.js";
import {
  type MemberPlacement,
  type ServerGroupRecord,
  ServerGroupRepository,
  type ServerGroupRules,
} from "../../store/server-group-repository.js";
import type { AuthContext } from "../context.js";
import { Forbidden, InvalidInput, NotFound } from "../errors.js";
import type { QuotaService } from "../quota/quota-service.js";
import { VmState } from "./vm-states.js";

export type { ServerGroupRules };

/** nova's group policies: the hard ones from 2.1, the soft ones from 2.15. */
export type ServerGroupPolicy = "affinity" | "anti-affinity" | "soft-affinity" | "soft-anti-affinity";

/** A group with its live members (servers not deleted), in the order they joined. */
export interface ServerGroup extends ServerGroupRecord {
  members: string[];
}

export interface CreateServerGroupRequest {
  name: string;
  policy: ServerGroupPolicy;
  rules: ServerGroupRules;
}

export class ServerGroupNotFound extends NotFound {
  constructor(readonly groupId: string) {
    super(`Instance group ${groupId} could not be found.`);
  }
}

/** What the policies look at: how many members each host holds, and how many are not placed yet. */
interface Occupancy {
  onHost: Map<string, number>;
  /** Members still being scheduled or built (BUILD, no host): they may land on any host. */
  unplaced: number;
}

const membersOn = (o: Occupancy, host: string) => o.onHost.get(host) ?? 0;

/**
 * For each policy, the candidate hosts a new member may go to, best first: nova's
 * ServerGroupAffinityFilter and ServerGroupAntiAffinityFilter for the hard policies (a
 * host that fails is out), its affinity weighers for the soft ones (every host fits).
 */
const POLICY_HOSTS: Record<
  ServerGroupPolicy,
  (o: Occupancy, hosts: string[], rules: ServerGroupRules) => string[]
> = {
  affinity: (o, hosts) => (o.onHost.size === 0 ? hosts : hosts.filter((h) => o.onHost.has(h))),
  "anti-affinity": (o, hosts, rules) =>
    hosts.filter((h) => membersOn(o, h) + o.unplaced < (rules.max_server_per_host ?? 1)),
  "soft-affinity": (o, hosts) => [...hosts].sort((a, b) => membersOn(o, b) - membersOn(o, a)),
  "soft-anti-affinity": (o, hosts) => [...hosts].sort((a, b) => membersOn(o, a) - membersOn(o, b)),
};

/**
 * nova's ServerGroupAffinityFilter and ServerGroupAntiAffinityFilter when a member moves
 * (migrations, evacuation, unshelve): whether `host` may take `member`, counting where the
 * group's other members are (those not placed yet hold no host, as in nova's group hosts).
 * Soft policies only weigh hosts, so every host may take it.
 */
export function allowsMember(
  group: Pick<ServerGroupRecord, "policy" | "rules">,
  members: MemberPlacement[],
  member: string,
  host: string,
): boolean {
  const occupancy: Occupancy = { onHost: new Map(), unplaced: 0 };
  for (const other of members) {
    if (other.uuid !== member && other.host !== null)
      occupancy.onHost.set(other.host, membersOn(occupancy, other.host) + 1);
  }
  return POLICY_HOSTS[group.policy as ServerGroupPolicy](occupancy, [host], group.rules).length > 0;
}

/**
 * Places `count` new members of a group on `candidates`, one after the other as nova's
 * scheduler and its compute-side group check do: each placed server counts for the next.
 * Returns each server's host, or null when the policy leaves it none.
 */
export function placeInGroup(
  group: Pick<ServerGroupRecord, "policy" | "rules">,
  members: MemberPlacement[],
  count: number,
  candidates: string[],
): Array<string | null> {
  const occupancy: Occupancy = { onHost: new Map(), unplaced: 0 };
  for (const member of members) {
    if (member.host !== null) occupancy.onHost.set(member.host, membersOn(occupancy, member.host) + 1);
    else if (member.vmState === VmState.BUILDING) occupancy.unplaced++;
  }
  const hostsFor = POLICY_HOSTS[group.policy as ServerGroupPolicy];
  const placed: Array<string | null> = [];
  for (let i = 0; i < count; i++) {
    const host = hostsFor(occupancy, candidates, group.rules)[0] ?? null;
    if (host !== null) occupancy.onHost.set(host, membersOn(occupancy, host) + 1);
    placed.push(host);
  }
  return placed;
}

/**
 * Server groups (nova's os-server-groups and instance groups): create with the
 * server_groups quota, read with live members, delete; and for server create, the group a
 * scheduler hint names, the server_group_members quota and the policy's placement.
 */
export class ServerGroupService {
  readonly #repo: ServerGroupRepository;

  constructor(
    private readonly db: Db,
    private readonly quotas: QuotaService,
    repo?: ServerGroupRepository,
  ) {
    this.#repo = repo ?? new ServerGroupRepository(db);
  }

  /** Any project's group (the caller's policy decides who may see it); throws ServerGroupNotFound. */
  async get(uuid: string): Promise<ServerGroup> {
    const group = await this.#repo.find(uuid);
    if (!group) throw new ServerGroupNotFound(uuid);
    const members = await this.#repo.members([uuid]);
    return { ...group, members: members.get(uuid) ?? [] };
  }

  /** A page of groups in creation order: one project's, or every project's without `projectId`. */
  async list(page: { projectId?: string; limit: number; offset: number }): Promise<ServerGroup[]> {
    const groups = await this.#repo.list(page);
    const members = await this.#repo.members(groups.map((g) => g.uuid));
    return groups.map((g) => ({ ...g, members: members.get(g.uuid) ?? [] }));
  }

  /**
   * Creates a group of the caller's project. The server_groups quota is checked in the
   * transaction that inserts, before the rules (nova's order). Errors: QuotaExceeded (403),
   * InvalidInput "Only anti-affinity policy supports rules." (400).
   */
  async create(ctx: AuthContext, req: CreateServerGroupRequest): Promise<ServerGroup> {
    const projectId = ctx.projectId;
    if (!projectId) throw new Forbidden("A project-scoped token is required.");
    const group: ServerGroupRecord = {
      uuid: randomUUID(),
      name: req.name,
      projectId,
      userId: ctx.userId,
      policy: req.policy,
      rules: req.rules,
      createdAt: new Date().toISOString(),
    };
    await this.db.transaction().execute(async (trx) => {
      await this.quotas.checkServerGroups(trx, projectId, ctx.userId);
      if (req.policy !== "anti-affinity" && Object.keys(req.rules).length > 0) {
        throw new InvalidInput("Only anti-affinity policy supports rules.");
      }
      await this.#repo.insert(trx, group);
    });
    return { ...group, members: [] };
  }

  /** Deletes a group; its servers stay, outside any group. Throws ServerGroupNotFound. */
  async delete(uuid: string): Promise<void> {
    const deleted = await this.db.transaction().execute((trx) => this.#repo.delete(trx, uuid));
    if (!deleted) throw new ServerGroupNotFound(uuid);
  }

  // ---- server create ---------------------------------------------------------

  /**
   * The group a server create names in its `group` scheduler hint (the first, when a
   * list), or undefined without one. As nova's InstanceGroup.get_by_hint, a non-admin finds
   * only the groups of the project they act in, so nobody can join (and see, or crowd out of
   * its hosts) another project's group. Throws InvalidInput "Instance group <id> could not
   * be found." (nova answers 400).
   */
  async hintedGroup(
    ctx: AuthContext,
    hints: Record<string, unknown> | undefined,
  ): Promise<string | undefined> {
    const hint = hints?.group;
    const uuid = Array.isArray(hint) ? hint[0] : hint;
    if (typeof uuid !== "string" || uuid === "") return undefined;
    const group = await this.#repo.find(uuid);
    if (!group || (!ctx.isAdmin && group.projectId !== ctx.projectId)) {
      throw new InvalidInput(new ServerGroupNotFound(uuid).message);
    }
    return uuid;
  }

  /**
   * Inside the transaction that creates `count` servers for the group: checks the
   * server_group_members quota (403 "Quota exceeded, too many servers in group"), then
   * returns the host of each new server under the group's policy, null where none fits.
   */
  async place(
    trx: Transaction<Database>,
    ctx: AuthContext,
    groupUuid: string,
    count: number,
    candidates: string[],
  ): Promise<Array<string | null>> {
    const group = await this.#repo.find(groupUuid, trx);
    // deleted since hintedGroup looked
    if (!group) throw new InvalidInput(new ServerGroupNotFound(groupUuid).message);
    await this.quotas.checkServerGroupMembers(trx, ctx.projectId ?? "", groupUuid, ctx.userId, count);
    return placeInGroup(group, await this.#repo.placements(trx, groupUuid), count, candidates);
  }

  /** Inside the same transaction: the new servers join the group (placed or not, as in nova). */
  async addMembers(trx: Transaction<Database>, groupUuid: string, instanceUuids: string[]): Promise<void> {
    await this.#repo.addMembers(trx, groupUuid, instanceUuids);
  }
}
