import type { InstancePortRepository } from "../../store/instance-port-repository.js";
import type { SecurityGroupRow } from "../../store/schema.js";
import type { AuthContext } from "../context.js";
import { Conflict, Forbidden, InvalidInput, NotFound, ServiceError } from "../errors.js";
import { parseCidr } from "./ip.js";
import type { NeutronService } from "./neutron-service.js";
import { convertIpPrefix, convertProtocol, type SecurityGroupRuleRecord } from "./security-group-rules.js";
import type { SecurityGroupRecord } from "./security-groups.js";

/** A rule as nova's os-security-groups shows it: ingress only, `group` or `ip_range` for the remote end. */
export interface NovaSecurityGroupRule {
  id: string;
  parent_group_id: string;
  ip_protocol: string | null;
  from_port: number | null;
  to_port: number | null;
  group: { name?: string; tenant_id?: string };
  ip_range: { cidr?: string };
}

export interface NovaSecurityGroup {
  id: string;
  description: string;
  name: string;
  tenant_id: string;
  rules: NovaSecurityGroupRule[];
}

/** What `POST /os-security-group-rules` asks for. */
export interface NovaRuleRequest {
  parent_group_id: string;
  group_id?: string | null;
  ip_protocol?: string | null;
  from_port?: number | string | null;
  to_port?: number | string | null;
  cidr?: string | null;
}

/** nova's rule before it goes to Neutron (security_group_api._new_ingress_rule's values). */
interface NewRule {
  group_id?: string;
  cidr?: string;
  protocol?: string;
  from_port?: number;
  to_port?: number;
}

/** nova's security group of a rule's remote end, or the sentinel for one the caller cannot see. */
type GroupData = { name: string; tenant_id: string } | "missing";

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** nova's validate_id. */
function validateId(id: string): void {
  if (!UUID.test(id)) throw new InvalidInput("Security group id should be uuid");
}

/** nova's parse_cidr: none is 0.0.0.0/0, anything else must be a network. */
function parseNovaCidr(cidr: string | null | undefined): string {
  if (!cidr) return "0.0.0.0/0";
  let decoded: string;
  try {
    decoded = decodeURIComponent(cidr);
  } catch {
    throw new InvalidInput(`${cidr} is not a valid IP network.`);
  }
  if (!parseCidr(decoded)) throw new InvalidInput(`${decoded} is not a valid IP network.`);
  return decoded;
}

/** nova's _convert_to_nova_security_group_rule_format, before the remote end is looked up. */
function novaRule(rule: SecurityGroupRuleRecord) {
  let from = rule.port_range_min;
  let to = rule.port_range_max;
  if (rule.protocol && from === null && to === null) {
    const ranged = ["tcp", "udp"].includes(rule.protocol.toLowerCase());
    from = ranged ? 1 : -1;
    to = ranged ? 65535 : -1;
  }
  return {
    id: rule.id,
    parent_group_id: rule.security_group_id,
    protocol: rule.protocol,
    from_port: from,
    to_port: to,
    group_id: rule.remote_group_id,
    cidr: parseNovaCidr(rule.remote_ip_prefix),
  };
}

/** nova's _new_ingress_rule: null when a CIDR rule lacks its protocol or ports. */
function newIngressRule(request: NovaRuleRequest): NewRule | null {
  const values: NewRule = {};
  const protocol = request.ip_protocol ?? undefined;
  let from = request.from_port ?? undefined;
  let to = request.to_port ?? undefined;
  if (request.group_id) {
    values.group_id = request.group_id;
    // a source group with no ports named opens everything of its protocol
    const upper = protocol?.toUpperCase() ?? "";
    if (upper === "ICMP" && from === undefined && to === undefined) [from, to] = [-1, -1];
    else if ((upper === "TCP" || upper === "UDP") && from === undefined && to === undefined)
      [from, to] = [1, 65535];
  } else {
    values.cidr = parseNovaCidr(request.cidr);
  }
  if (!protocol || from === undefined || to === undefined) return request.group_id ? values : null;
  const upper = protocol.toUpperCase();
  const fromPort = Number(from);
  const toPort = Number(to);
  if (!Number.isInteger(fromPort) || !Number.isInteger(toPort))
    throw new InvalidInput(
      upper === "ICMP"
        ? "Invalid input received: Type and Code must be integers for ICMP protocol type"
        : "Invalid input received: To and From ports must be integers",
    );
  if (!["TCP", "UDP", "ICMP"].includes(upper)) throw new InvalidInput(`Invalid IP protocol ${protocol}.`);
  const range = `Invalid port range ${fromPort}:${toPort}.`;
  if (upper !== "ICMP" && fromPort > toPort)
    throw new InvalidInput(`${range} Former value cannot be greater than the later`);
  if (upper !== "ICMP" && (fromPort < 1 || toPort > 65535))
    throw new InvalidInput(`${range} Valid ${upper} ports should be between 1-65535`);
  if (upper === "ICMP" && (fromPort < -1 || fromPort > 255 || toPort < -1 || toPort > 255))
    throw new InvalidInput(`${range} For ICMP, the type:code must be valid`);
  return { ...values, protocol, from_port: fromPort, to_port: toPort };
}

/**
 * Nova's security group proxy over Neutron (nova/network/security_group_api.py): the
 * os-security-groups and os-security-group-rules APIs in nova's format, the groups of a
 * server's ports, adding and removing a group on every port of a server, and the names of
 * a server create resolved to group ids. Neutron's errors become nova's as nova maps
 * neutronclient's status codes.
 */
export class NovaSecurityGroups {
  constructor(
    private readonly neutron: NeutronService,
    private readonly instancePorts: InstancePortRepository,
  ) {}

  get #groups() {
    return this.neutron.securityGroups;
  }

  /** The groups the caller's project owns (all of them for an admin asking all_tenants), sorted as nova sorts. */
  async list(ctx: AuthContext, allTenants: boolean): Promise<NovaSecurityGroup[]> {
    let records = await this.#groups.list(ctx);
    if (!(ctx.isAdmin && allTenants)) records = records.filter((g) => g.project_id === ctx.projectId);
    return this.#format(ctx, records);
  }

  async show(ctx: AuthContext, id: string): Promise<NovaSecurityGroup> {
    validateId(id);
    const [group] = await this.#format(ctx, [await this.#groups.show(ctx, id)]);
    return group!;
  }

  async create(ctx: AuthContext, name: string, description: string): Promise<NovaSecurityGroup> {
    const record = await this.#groups
      .create(ctx, { name, description })
      .catch((error) => this.#rethrowCreate(error));
    const [group] = await this.#format(ctx, [record]);
    return group!;
  }

  async update(ctx: AuthContext, id: string, name: string, description: string): Promise<NovaSecurityGroup> {
    validateId(id);
    await this.#groups.show(ctx, id);
    const record = await this.#groups.update(ctx, id, { name, description }).catch((error) => {
      // neutronclient's 400s and 409s: nova lets them through as a bad request
      if (error instanceof ServiceError && error.category === "conflict")
        throw new InvalidInput(error.message);
      throw error;
    });
    const [group] = await this.#format(ctx, [record]);
    return group!;
  }

  async delete(ctx: AuthContext, id: string): Promise<void> {
    validateId(id);
    await this.#groups.show(ctx, id);
    await this.#groups.delete(ctx, id).catch((error) => {
      // a group in use is Neutron's 409, nova's Invalid
      if (error instanceof ServiceError && error.category === "conflict")
        throw new InvalidInput(error.message);
      throw error;
    });
  }

  /** nova's rule create: an ingress rule from a CIDR or a group, refused when the group has it already. */
  async createRule(ctx: AuthContext, request: NovaRuleRequest): Promise<NovaSecurityGroupRule> {
    const parent = await this.#groups.show(ctx, request.parent_group_id);
    let source: SecurityGroupRecord | undefined;
    if (request.group_id != null) source = await this.#groups.show(ctx, request.group_id);
    const rule = newIngressRule(request);
    if (rule === null) throw new InvalidInput("Not enough parameters to build a valid rule.");
    if (rule.cidr !== undefined) {
      const [net, prefix] = rule.cidr.split("/");
      if (net !== "0.0.0.0" && net !== "::" && prefix === "0")
        throw new InvalidInput(`Bad prefix for network in cidr ${rule.cidr}`);
    }
    if (this.#exists(parent, rule)) throw new InvalidInput(`This rule already exists in group ${parent.id}`);
    const record = await this.neutron.securityGroupRules
      .create(ctx, {
        security_group_id: parent.id,
        direction: "ingress",
        // nova has no ethertype: a group rule is IPv4 only, a CIDR rule that of its network
        ethertype: rule.cidr !== undefined && parseCidr(rule.cidr)?.version === 6 ? "IPv6" : "IPv4",
        protocol: convertProtocol(rule.protocol ?? null),
        remote_ip_prefix: convertIpPrefix(rule.cidr ?? null),
        remote_group_id: rule.group_id ?? null,
        port_range_min: rule.from_port !== undefined && rule.from_port !== -1 ? rule.from_port : null,
        port_range_max: rule.to_port !== undefined && rule.to_port !== -1 ? rule.to_port : null,
      })
      .catch((error) => this.#rethrowCreate(error));
    const data: GroupData | undefined = source && { name: source.name, tenant_id: source.project_id };
    return (await this.#formatRule(ctx, novaRule(record), data))!;
  }

  async deleteRule(ctx: AuthContext, id: string): Promise<void> {
    validateId(id);
    const rule = await this.neutron.securityGroupRules.show(ctx, id);
    await this.#groups.show(ctx, rule.security_group_id);
    await this.neutron.securityGroupRules.delete(ctx, id);
  }

  /** The groups of a server's ports, once per port holding them, as nova's get_instance_security_groups. */
  async ofInstance(ctx: AuthContext, instanceUuid: string): Promise<NovaSecurityGroup[]> {
    const records: SecurityGroupRecord[] = [];
    const visible = new Map<string, SecurityGroupRecord | null>();
    for (const groupId of await this.#portGroups(instanceUuid)) {
      if (!visible.has(groupId))
        visible.set(groupId, await this.#groups.show(ctx, groupId).catch(() => null));
      const record = visible.get(groupId);
      if (record) records.push(record);
    }
    return this.#format(ctx, records);
  }

  /**
   * The group ids a server create's names ask for: nova leaves a lone `default` to Neutron
   * (an empty list), and looks the rest up by id, then by name in the caller's project.
   */
  async forCreate(ctx: AuthContext, names: readonly string[] | undefined): Promise<string[]> {
    const unique = [...new Set(names ?? [])];
    if (unique.length === 0 || (unique.length === 1 && unique[0] === "default")) return [];
    const ids: string[] = [];
    for (const name of unique) {
      ids.push(
        await this.#find(
          ctx,
          name,
          () => new InvalidInput(`Unable to find security_group with name or id '${name}'`),
        ),
      );
    }
    return ids;
  }

  /** nova's add_to_instance: the group goes on every port of the server. */
  async addToInstance(ctx: AuthContext, instanceUuid: string, name: string): Promise<void> {
    const groupId = await this.#find(ctx, name, () => this.#notForProject(ctx, name));
    const ports = await this.#instancePorts(ctx, instanceUuid);
    for (const port of ports) {
      if (!port.port_security_enabled || port.fixed_ips.length === 0)
        throw new InvalidInput(
          "Network requires port_security_enabled and subnet associated in order to apply security groups.",
        );
      // Neutron refuses a list naming a group twice; nova passes its 400 on
      if (port.security_groups.includes(groupId))
        throw new InvalidInput(
          `Invalid input for security_groups. Reason: Duplicate items in the list: '${groupId}'.`,
        );
      await this.neutron.ports.update(ctx, port.id, { security_groups: [...port.security_groups, groupId] });
    }
  }

  /** nova's remove_from_instance: off every port holding it, 404 when none did. */
  async removeFromInstance(ctx: AuthContext, instanceUuid: string, name: string): Promise<void> {
    const groupId = await this.#find(ctx, name, () => this.#notForProject(ctx, name));
    let found = false;
    for (const port of await this.#instancePorts(ctx, instanceUuid)) {
      if (!port.security_groups.includes(groupId)) continue;
      await this.neutron.ports.update(ctx, port.id, {
        security_groups: port.security_groups.filter((id) => id !== groupId),
      });
      found = true;
    }
    if (!found) throw new NotFound(`Security group ${name} not associated with the instance ${instanceUuid}`);
  }

  #notForProject(ctx: AuthContext, name: string): NotFound {
    return new NotFound(`Security group ${name} is not found for project ${ctx.projectId}`);
  }

  /** neutronclient's find_resourceid_by_name_or_id: an id the caller sees, else a unique name in its project. */
  async #find(ctx: AuthContext, nameOrId: string, notFound: () => ServiceError): Promise<string> {
    const projectId = ctx.projectId ?? "";
    // listing makes the project's default group, as Neutron's list does
    if (projectId) await this.#groups.ensureDefault(projectId);
    const byId = await this.#groups.repo.findGroup(nameOrId);
    if (byId && (ctx.isAdmin || byId.project_id === projectId)) return byId.id;
    const named = (await this.#groups.repo.listGroups(projectId)).filter(
      (g: SecurityGroupRow) => g.name === nameOrId,
    );
    if (named.length > 1)
      throw new Conflict(
        `Multiple security_group matches found for name '${nameOrId}', use an ID to be more specific.`,
      );
    if (named.length === 0) throw notFound();
    return named[0]!.id;
  }

  /** The ports whose device is the server, or nova's 404 when it has none. */
  async #instancePorts(ctx: AuthContext, instanceUuid: string) {
    const ports = [];
    for (const nic of await this.instancePorts.portsOf(instanceUuid)) {
      const port = await this.neutron.ports.show(ctx, nic.port_id).catch(() => undefined);
      if (port?.device_id === instanceUuid) ports.push(port);
    }
    if (ports.length === 0)
      throw new NotFound(`instance_id ${instanceUuid} could not be found as device id on any ports`);
    return ports;
  }

  /** The group ids of each of a server's ports, in NIC order. */
  async #portGroups(instanceUuid: string): Promise<string[]> {
    const nics = await this.instancePorts.portsOf(instanceUuid);
    const byPort = await this.#groups.groupsOfPorts(nics.map((n) => n.port_id));
    return nics.flatMap((n) => byPort.get(n.port_id) ?? []);
  }

  /** nova's _rule_exists: the same remote end, ports and protocol, compared as nova compares them. */
  #exists(group: SecurityGroupRecord, rule: NewRule): boolean {
    return group.security_group_rules
      .filter((r) => r.direction === "ingress")
      .map(novaRule)
      .some(
        (r) =>
          (r.group_id ?? undefined) === rule.group_id &&
          r.cidr === rule.cidr &&
          (r.from_port ?? undefined) === rule.from_port &&
          (r.to_port ?? undefined) === rule.to_port &&
          (r.protocol ?? undefined) === rule.protocol,
      );
  }

  /** Neutron's 409 on a create (a quota, a duplicate) is nova's SecurityGroupLimitExceeded, a 403. */
  #rethrowCreate(error: unknown): never {
    if (error instanceof ServiceError && error.category === "conflict") throw new Forbidden(error.message);
    if (error instanceof ServiceError && error.category === "not_found") throw new NotFound(error.message);
    throw error;
  }

  /** nova's _format_security_group for each, with the remote groups looked up once, sorted by project and name. */
  async #format(ctx: AuthContext, records: readonly SecurityGroupRecord[]): Promise<NovaSecurityGroup[]> {
    const known = new Map<string, GroupData>();
    for (const r of records) known.set(r.id, { name: r.name, tenant_id: r.project_id });
    const out: NovaSecurityGroup[] = [];
    for (const record of records) {
      const rules: NovaSecurityGroupRule[] = [];
      for (const rule of record.security_group_rules.filter((r) => r.direction === "ingress")) {
        const formatted = await this.#formatRule(ctx, novaRule(rule), undefined, known);
        if (formatted) rules.push(formatted);
      }
      out.push({
        id: record.id,
        description: record.description,
        name: record.name,
        tenant_id: record.project_id,
        rules,
      });
    }
    return out.sort((a, b) =>
      a.tenant_id === b.tenant_id ? compare(a.name, b.name) : compare(a.tenant_id, b.tenant_id),
    );
  }

  /** nova's _format_security_group_rule; undefined for a rule whose remote group is gone or hidden. */
  async #formatRule(
    ctx: AuthContext,
    rule: ReturnType<typeof novaRule>,
    data: GroupData | undefined,
    known = new Map<string, GroupData>(),
  ): Promise<NovaSecurityGroupRule | undefined> {
    const out: NovaSecurityGroupRule = {
      id: rule.id,
      parent_group_id: rule.parent_group_id,
      ip_protocol: rule.protocol,
      from_port: rule.from_port,
      to_port: rule.to_port,
      group: {},
      ip_range: {},
    };
    if (data && data !== "missing") out.group = data;
    else if (rule.group_id) {
      if (!known.has(rule.group_id)) {
        const group = await this.#groups.show(ctx, rule.group_id).catch(() => undefined);
        known.set(rule.group_id, group ? { name: group.name, tenant_id: group.project_id } : "missing");
      }
      const found = known.get(rule.group_id)!;
      if (found === "missing") return undefined;
      out.group = found;
    } else out.ip_range = { cidr: rule.cidr };
    return out;
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
