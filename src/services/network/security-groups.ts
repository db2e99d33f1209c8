import { randomUUID } from "node:crypto";
import type { Transaction } from "kysely";
import type { NeutronRepository } from "../../store/neutron-repository.js";
import type { Database, PortRow, SecurityGroupRow } from "../../store/schema.js";
import type { SecurityGroupRepository } from "../../store/security-group-repository.js";
import type { AuthContext } from "../context.js";
import type { NetworkQuotas } from "./quotas.js";
import {
  PortSecurityAndIPRequiredForSecurityGroups,
  PortSecurityPortHasSecurityGroup,
  SecurityGroupCannotRemoveDefault,
  SecurityGroupCannotUpdateDefault,
  SecurityGroupDefaultAlreadyExists,
  SecurityGroupInUse,
  SecurityGroupNotFound,
} from "./security-group-errors.js";
import { ruleRecord, type SecurityGroupRuleRecord, type SecurityGroupRules } from "./security-group-rules.js";
import {
  checkRevision,
  neutronTime,
  ownerOf,
  ownsOrAdmin,
  type StandardAttributes,
} from "./standard-attributes.js";

const DEFAULT_NAME = "default";
/** The rules a default group comes with (egress and ingress, per ethertype), and a new group. */
const DEFAULT_GROUP_RULES = 4;
const NEW_GROUP_RULES = 2;

export interface SecurityGroupRecord extends StandardAttributes {
  name: string;
  stateful: boolean;
  security_group_rules: SecurityGroupRuleRecord[];
}

export type SecurityGroupChanges = Partial<
  Pick<SecurityGroupRecord, "project_id" | "name" | "description" | "stateful">
>;

/** The port a security group binding is about: what Neutron's checks read of it. */
export interface PortForGroups {
  id: string;
  project_id: string;
  device_owner: string;
  port_security_enabled: boolean;
  hasIp: boolean;
}

/**
 * Security groups: who sees and changes them, each project's `default` group made on
 * first use as Neutron makes it, and the groups of ports.
 */
export class SecurityGroups {
  constructor(
    readonly repo: SecurityGroupRepository,
    readonly neutron: NeutronRepository,
    readonly rules: SecurityGroupRules,
    readonly quotas: NetworkQuotas,
  ) {}

  async #records(rows: SecurityGroupRow[]): Promise<SecurityGroupRecord[]> {
    const ids = rows.map((r) => r.id);
    const rules = await this.repo.rulesOf(ids);
    const tags = await this.neutron.tagsOf(ids);
    return rows.map((row) => ({
      id: row.id,
      project_id: row.project_id,
      name: row.name,
      description: row.description,
      stateful: row.stateful === 1,
      security_group_rules: rules.filter((r) => r.security_group_id === row.id).map(ruleRecord),
      tags: tags.get(row.id) ?? [],
      revision_number: row.revision_number,
      created_at: row.created_at,
      updated_at: row.updated_at,
    }));
  }

  /** The group if the caller sees it (an admin, or its project), else SecurityGroupNotFound. */
  async visibleRow(caller: AuthContext, id: string, ex?: Transaction<Database>): Promise<SecurityGroupRow> {
    const row = await this.repo.findGroup(id, ex);
    if (!row || !ownsOrAdmin(caller, row.project_id)) throw new SecurityGroupNotFound(id);
    return row;
  }

  /**
   * The project's default group, made now if it has none: named `default`, with Neutron's
   * four rules (egress anywhere and ingress from members of the group, for IPv4 and IPv6).
   * Two first uses at once both make a group, but the default_security_groups key takes
   * only one of them; the other removes its own and answers the winner. As in Neutron, the
   * group itself is not held to the security_group quota (it counts against it, though),
   * but its four rules are held to security_group_rule's.
   */
  async ensureDefault(projectId: string, trx?: Transaction<Database>): Promise<string> {
    const existing = await this.repo.defaultGroupOf(projectId, trx);
    if (existing !== undefined) return existing;
    const work = async (t: Transaction<Database>): Promise<string> => {
      await this.quotas.check(t, projectId, "security_group_rule", DEFAULT_GROUP_RULES);
      const id = randomUUID();
      const now = neutronTime();
      await this.repo.insertGroup(
        {
          id,
          project_id: projectId,
          name: DEFAULT_NAME,
          description: "Default security group",
          stateful: 1,
          revision_number: 1,
          created_at: now,
          updated_at: now,
        },
        t,
      );
      for (const ethertype of ["IPv4", "IPv6"] as const) {
        await this.rules.insertIn(t, id, projectId, {
          direction: "egress",
          ethertype,
          remote_group_id: null,
        });
        await this.rules.insertIn(t, id, projectId, { direction: "ingress", ethertype, remote_group_id: id });
      }
      await this.repo.claimDefault(projectId, id, t);
      const winner = (await this.repo.defaultGroupOf(projectId, t))!;
      if (winner !== id) await this.repo.deleteGroup(id, t);
      return winner;
    };
    return trx ? work(trx) : this.repo.transaction(work);
  }

  async list(caller: AuthContext): Promise<SecurityGroupRecord[]> {
    if (caller.projectId) await this.ensureDefault(caller.projectId);
    return this.#records(await this.repo.listGroups(caller.isAdmin ? undefined : (caller.projectId ?? "")));
  }

  async show(caller: AuthContext, id: string): Promise<SecurityGroupRecord> {
    const [record] = await this.#records([await this.visibleRow(caller, id)]);
    return record!;
  }

  async create(caller: AuthContext, changes: SecurityGroupChanges): Promise<SecurityGroupRecord> {
    const name = changes.name ?? "";
    if (name.toLowerCase() === DEFAULT_NAME) throw new SecurityGroupDefaultAlreadyExists();
    const projectId = ownerOf(caller, changes.project_id);
    await this.ensureDefault(projectId);
    const id = randomUUID();
    const now = neutronTime();
    await this.repo.transaction(async (trx) => {
      await this.quotas.check(trx, projectId, "security_group");
      // the group's own egress rules are held to the rule quota too, as Neutron does
      await this.quotas.check(trx, projectId, "security_group_rule", NEW_GROUP_RULES);
      await this.repo.insertGroup(
        {
          id,
          project_id: projectId,
          name,
          description: changes.description ?? "",
          stateful: changes.stateful === false ? 0 : 1,
          revision_number: 1,
          created_at: now,
          updated_at: now,
        },
        trx,
      );
      // a new group lets its members out anywhere, as Neutron's does
      for (const ethertype of ["IPv4", "IPv6"] as const)
        await this.rules.insertIn(trx, id, projectId, {
          direction: "egress",
          ethertype,
          remote_group_id: null,
        });
    });
    return this.show(caller, id);
  }

  async update(
    caller: AuthContext,
    id: string,
    changes: SecurityGroupChanges,
    expectedRevision?: number,
  ): Promise<SecurityGroupRecord> {
    if (changes.name !== undefined && changes.name.toLowerCase() === DEFAULT_NAME)
      throw new SecurityGroupDefaultAlreadyExists();
    await this.repo.transaction(async (trx) => {
      const row = await this.repo.lockGroup(trx, id);
      if (!row || !ownsOrAdmin(caller, row.project_id)) throw new SecurityGroupNotFound(id);
      checkRevision(expectedRevision, row.revision_number);
      if (changes.name !== undefined && (await this.repo.defaultsAmong([id], trx)).has(id))
        throw new SecurityGroupCannotUpdateDefault();
      if (
        changes.stateful !== undefined &&
        (changes.stateful ? 1 : 0) !== row.stateful &&
        (await this.repo.inUse(id, trx))
      )
        throw new SecurityGroupInUse(id);
      await this.repo.updateGroup(
        id,
        {
          ...(changes.name !== undefined && { name: changes.name }),
          ...(changes.description !== undefined && { description: changes.description }),
          ...(changes.stateful !== undefined && { stateful: changes.stateful ? 1 : 0 }),
          revision_number: row.revision_number + 1,
          updated_at: neutronTime(),
        },
        trx,
      );
    });
    return this.show(caller, id);
  }

  /** Deletes a group and its rules; a default group only by an admin, a group in use by a port never. */
  async delete(caller: AuthContext, id: string, expectedRevision?: number): Promise<void> {
    await this.repo.transaction(async (trx) => {
      const row = await this.repo.lockGroup(trx, id);
      if (!row || !ownsOrAdmin(caller, row.project_id)) throw new SecurityGroupNotFound(id);
      checkRevision(expectedRevision, row.revision_number);
      if (!caller.isAdmin && (await this.repo.defaultsAmong([id], trx)).has(id))
        throw new SecurityGroupCannotRemoveDefault();
      if (await this.repo.inUse(id, trx)) throw new SecurityGroupInUse(id);
      await this.neutron.replaceTags(id, [], trx);
      await this.repo.deleteGroup(id, trx);
    });
  }

  // ports' groups (the security_groups attribute of a port)

  /** The groups of each port. */
  groupsOfPorts(portIds: readonly string[], trx?: Transaction<Database>): Promise<Map<string, string[]>> {
    return this.repo.groupsOfPorts(portIds, trx);
  }

  /** Checks that the caller may put the port in these groups: they exist, and are its project's. */
  async #checkGroups(
    trx: Transaction<Database>,
    caller: AuthContext,
    port: PortForGroups,
    ids: readonly string[],
  ): Promise<string[]> {
    const unique = [...new Set(ids)];
    const rows = await this.repo.findGroups(unique, trx);
    for (const id of unique) {
      const row = rows.find((r) => r.id === id);
      if (
        !row ||
        !ownsOrAdmin(caller, row.project_id) ||
        (!caller.isAdmin && row.project_id !== port.project_id)
      )
        throw new SecurityGroupNotFound(id);
    }
    return unique;
  }

  /**
   * Gives a new port its groups: those asked for, else (port security on, an address, and
   * not a network:* device) its project's default group, as Neutron's ML2 plugin does.
   */
  async bindNewPort(
    trx: Transaction<Database>,
    caller: AuthContext,
    port: PortForGroups,
    requested: readonly string[] | undefined,
  ): Promise<void> {
    const trusted = port.device_owner.startsWith("network:");
    const secured = port.port_security_enabled && port.hasIp && !trusted;
    if (requested === undefined) {
      if (secured)
        await this.repo.replacePortGroups(port.id, [await this.ensureDefault(port.project_id, trx)], trx);
      return;
    }
    if (requested.length > 0 && !(port.port_security_enabled && port.hasIp))
      throw new PortSecurityAndIPRequiredForSecurityGroups();
    await this.repo.replacePortGroups(port.id, await this.#checkGroups(trx, caller, port, requested), trx);
  }

  /**
   * Changes a port's groups on update: `requested` replaces them; turning port security
   * off (or losing every address) while the port keeps groups is PortSecurityPortHasSecurityGroup.
   */
  async updatePort(
    trx: Transaction<Database>,
    caller: AuthContext,
    port: PortForGroups,
    requested: readonly string[] | undefined,
  ): Promise<void> {
    const secured = port.port_security_enabled && port.hasIp;
    if (requested === undefined) {
      const current = (await this.repo.groupsOfPorts([port.id], trx)).get(port.id) ?? [];
      if (current.length > 0 && !secured) throw new PortSecurityPortHasSecurityGroup();
      return;
    }
    if (requested.length > 0 && !secured) throw new PortSecurityAndIPRequiredForSecurityGroups();
    await this.repo.replacePortGroups(port.id, await this.#checkGroups(trx, caller, port, requested), trx);
  }

  /** The port a row is, for the checks above. */
  static portOf(row: PortRow, hasIp: boolean): PortForGroups {
    return {
      id: row.id,
      project_id: row.project_id,
      device_owner: row.device_owner,
      port_security_enabled: row.port_security_enabled === 1,
      hasIp,
    };
  }
}
