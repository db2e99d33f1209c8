import { randomUUID } from "node:crypto";
import type { Transaction } from "kysely";
import type { Database, SecurityGroupRuleRow } from "../../store/schema.js";
import type { SecurityGroupRepository } from "../../store/security-group-repository.js";
import type { AuthContext } from "../context.js";
import { InvalidInput } from "../errors.js";
import { formatCidr, parseCidr, parseIp } from "./ip.js";
import type { NetworkQuotas } from "./quotas.js";
import {
  AddressGroupNotFound,
  InvalidCIDR,
  SecurityGroupEthertypeConflictWithProtocol,
  SecurityGroupInvalidIcmpValue,
  SecurityGroupInvalidPortRange,
  SecurityGroupInvalidPortValue,
  SecurityGroupInvalidProtocolForPortRange,
  SecurityGroupMissingIcmpType,
  SecurityGroupNotFound,
  SecurityGroupProtocolRequiredWithPorts,
  SecurityGroupRemoteGroupAndRemoteIpPrefix,
  SecurityGroupRuleExists,
  SecurityGroupRuleInvalidProtocol,
  SecurityGroupRuleNotFound,
  SecurityGroupRuleParameterConflict,
} from "./security-group-errors.js";
import { neutronTime, ownerOf, ownsOrAdmin } from "./standard-attributes.js";

/** neutron-lib's IP_PROTOCOL_MAP: the protocol names a rule accepts, and their numbers. */
export const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = {
  ah: 51,
  dccp: 33,
  egp: 8,
  esp: 50,
  gre: 47,
  hopopt: 0,
  icmp: 1,
  igmp: 2,
  ip: 0,
  ipip: 4,
  "ipv6-encap": 41,
  "ipv6-frag": 44,
  "ipv6-icmp": 58,
  icmpv6: 58,
  "ipv6-nonxt": 59,
  "ipv6-opts": 60,
  "ipv6-route": 43,
  ospf: 89,
  pgm: 113,
  rsvp: 46,
  sctp: 132,
  tcp: 6,
  udp: 17,
  udplite: 136,
  vrrp: 112,
};
const SUPPORTED_PROTOCOLS = [null, ...Object.keys(PROTOCOL_NUMBERS)];
/** Protocols with ports (SG_PORT_PROTO_NUMS): tcp, udp, udplite, sctp, dccp. */
const PORT_PROTOCOLS = new Set([6, 17, 136, 132, 33]);
const ICMP_PROTOCOLS = new Set([1, 58]);
/** Protocols of IPv6 only, which an IPv4 rule cannot name. */
const IPV6_PROTOCOLS = new Set([41, 44, 58, 59, 60, 43]);

export type Direction = "ingress" | "egress";
export type Ethertype = "IPv4" | "IPv6";

export interface SecurityGroupRuleRecord {
  id: string;
  project_id: string;
  security_group_id: string;
  direction: Direction;
  ethertype: Ethertype;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  /** The network of remote_ip_prefix (security-groups-normalized-cidr). */
  normalized_cidr: string | null;
  remote_group_id: string | null;
  remote_address_group_id: string | null;
  description: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

export type SecurityGroupRuleChanges = Partial<
  Pick<
    SecurityGroupRuleRecord,
    | "project_id"
    | "security_group_id"
    | "direction"
    | "ethertype"
    | "protocol"
    | "port_range_min"
    | "port_range_max"
    | "remote_ip_prefix"
    | "remote_group_id"
    | "remote_address_group_id"
    | "description"
  >
>;

/** neutron-lib's convert_protocol: a known name (any case) or a number 0-255, kept as text; null is any. */
export function convertProtocol(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const text = typeof value === "number" ? String(value) : value;
  if (typeof text === "string") {
    if (/^\d+$/.test(text)) {
      if (Number(text) <= 255) return String(Number(text));
    } else if (Object.hasOwn(PROTOCOL_NUMBERS, text.toLowerCase())) return text.toLowerCase();
  }
  throw new SecurityGroupRuleInvalidProtocol(value, SUPPORTED_PROTOCOLS);
}

/** neutron-lib's convert_validate_port_value: an integer 0-65535 or null. */
export function convertPort(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 65535)
    throw new SecurityGroupInvalidPortValue(value);
  return n;
}

/** neutron-lib's convert_ip_prefix_to_cidr: an address or CIDR, written with its prefix; "" or null is none. */
export function convertIpPrefix(value: unknown): string | null {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value !== "string") throw new InvalidCIDR(String(value));
  const ip = parseIp(value);
  if (ip) return `${formatIpText(value)}/${ip.version === 4 ? 32 : 128}`;
  const [address, prefix] = value.split("/");
  const cidr = parseCidr(value);
  if (!cidr || address === undefined) throw new InvalidCIDR(value);
  return `${formatIpText(address)}/${Number(prefix)}`;
}

function formatIpText(address: string): string {
  const ip = parseIp(address)!;
  return formatCidr({ version: ip.version, network: ip.value, prefix: 0 }).replace(/\/0$/, "");
}

function protocolNumber(protocol: string | null): number | null {
  if (protocol === null) return null;
  return /^\d+$/.test(protocol) ? Number(protocol) : PROTOCOL_NUMBERS[protocol]!;
}

function normalized(prefix: string | null): string | null {
  if (prefix === null) return null;
  const cidr = parseCidr(prefix);
  return cidr ? formatCidr(cidr) : prefix;
}

export function ruleRecord(row: SecurityGroupRuleRow): SecurityGroupRuleRecord {
  return {
    id: row.id,
    project_id: row.project_id,
    security_group_id: row.security_group_id,
    direction: row.direction as Direction,
    ethertype: row.ethertype as Ethertype,
    protocol: row.protocol,
    port_range_min: row.port_range_min,
    port_range_max: row.port_range_max,
    remote_ip_prefix: row.remote_ip_prefix,
    normalized_cidr: normalized(row.remote_ip_prefix),
    remote_group_id: row.remote_group_id,
    remote_address_group_id: row.remote_address_group_id,
    description: row.description,
    revision_number: row.revision_number,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** Neutron's _validate_port_range: which protocols take ports, and what their ports may be. */
function checkPortRange(protocol: string | null, min: number | null, max: number | null): void {
  if (min === null && max === null) return;
  if (protocol === null) throw new SecurityGroupProtocolRequiredWithPorts();
  const number = protocolNumber(protocol)!;
  if (PORT_PROTOCOLS.has(number)) {
    if (min === 0 || max === 0) throw new SecurityGroupInvalidPortValue(0);
    if (min !== null && max !== null && min <= max) return;
    throw new SecurityGroupInvalidPortRange();
  }
  if (ICMP_PROTOCOLS.has(number)) {
    for (const [attr, field, value] of [
      ["port_range_min", "type", min],
      ["port_range_max", "code", max],
    ] as const) {
      if (value !== null && value > 255) throw new SecurityGroupInvalidIcmpValue(field, attr, value);
    }
    if (min === null && max !== null) throw new SecurityGroupMissingIcmpType(max);
    return;
  }
  throw new SecurityGroupInvalidProtocolForPortRange(number);
}

/** What makes two rules the same rule: "any" remote prefixes (/0) are no prefix, names are numbers. */
function ruleKey(rule: {
  direction: string;
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  remote_address_group_id: string | null;
}): string {
  const prefix = normalized(rule.remote_ip_prefix);
  return JSON.stringify([
    rule.direction,
    rule.ethertype,
    protocolNumber(rule.protocol),
    rule.port_range_min,
    rule.port_range_max,
    prefix === "0.0.0.0/0" || prefix === "::/0" ? null : prefix,
    rule.remote_group_id,
    rule.remote_address_group_id,
  ]);
}

/** Security group rules: Neutron's checks of each one, who sees and changes them. */
export class SecurityGroupRules {
  constructor(
    readonly repo: SecurityGroupRepository,
    readonly quotas: NetworkQuotas,
  ) {}

  /** Whether the caller sees a rule: an admin, the rule's project, or the owner of its group. */
  async #visibleRow(
    caller: AuthContext,
    id: string,
    ex?: Transaction<Database>,
  ): Promise<SecurityGroupRuleRow> {
    const row = await this.repo.findRule(id, ex);
    if (!row) throw new SecurityGroupRuleNotFound(id);
    if (ownsOrAdmin(caller, row.project_id)) return row;
    const group = await this.repo.findGroup(row.security_group_id, ex);
    if (!group || !ownsOrAdmin(caller, group.project_id)) throw new SecurityGroupRuleNotFound(id);
    return row;
  }

  async list(caller: AuthContext): Promise<SecurityGroupRuleRecord[]> {
    const rows = await this.repo.listRules(caller.isAdmin ? undefined : (caller.projectId ?? ""));
    return rows.map(ruleRecord);
  }

  async show(caller: AuthContext, id: string): Promise<SecurityGroupRuleRecord> {
    return ruleRecord(await this.#visibleRow(caller, id));
  }

  async create(caller: AuthContext, changes: SecurityGroupRuleChanges): Promise<SecurityGroupRuleRecord> {
    const groupId = changes.security_group_id ?? "";
    const ethertype = changes.ethertype ?? "IPv4";
    const protocol = changes.protocol ?? null;
    const min = changes.port_range_min ?? null;
    const max = changes.port_range_max ?? null;
    const remotePrefix = changes.remote_ip_prefix ?? null;
    const remoteGroup = changes.remote_group_id ?? null;
    if (remotePrefix !== null && remoteGroup !== null) throw new SecurityGroupRemoteGroupAndRemoteIpPrefix();
    if (changes.remote_address_group_id != null)
      throw new AddressGroupNotFound(changes.remote_address_group_id);
    checkPortRange(protocol, min, max);
    if (remotePrefix !== null) {
      const version = parseCidr(remotePrefix)?.version;
      if (ethertype !== `IPv${version}`)
        throw new SecurityGroupRuleParameterConflict(ethertype, remotePrefix);
    }
    if (ethertype === "IPv4" && IPV6_PROTOCOLS.has(protocolNumber(protocol) ?? -1))
      throw new SecurityGroupEthertypeConflictWithProtocol(ethertype, protocol!);
    const projectId = ownerOf(caller, changes.project_id);
    const id = randomUUID();
    await this.repo.transaction(async (trx) => {
      // the group's lock makes concurrent creates of one rule see each other (SecurityGroupRuleExists)
      const group = await this.repo.lockGroup(trx, groupId);
      if (!group || !ownsOrAdmin(caller, group.project_id)) throw new SecurityGroupNotFound(groupId);
      if (remoteGroup !== null) {
        const remote = await this.repo.findGroup(remoteGroup, trx);
        if (!remote || !ownsOrAdmin(caller, remote.project_id)) throw new SecurityGroupNotFound(remoteGroup);
      }
      // Neutron's API checks the quota before the plugin looks for a duplicate
      await this.quotas.check(trx, projectId, "security_group_rule");
      const now = neutronTime();
      const row = {
        id,
        security_group_id: groupId,
        project_id: projectId,
        direction: changes.direction ?? "ingress",
        ethertype,
        protocol,
        port_range_min: min,
        port_range_max: max,
        remote_ip_prefix: remotePrefix,
        remote_group_id: remoteGroup,
        remote_address_group_id: null,
        description: changes.description ?? "",
        revision_number: 0,
        created_at: now,
        updated_at: now,
      };
      const key = ruleKey(row);
      const same = (await this.repo.rulesOf([groupId], trx)).find((r) => ruleKey(r) === key);
      if (same) throw new SecurityGroupRuleExists(same.id);
      await this.repo.insertRule(row, trx);
      await this.repo.updateGroup(
        groupId,
        { revision_number: group.revision_number + 1, updated_at: now },
        trx,
      );
    });
    return this.show(caller, id);
  }

  /** Neutron has no update of a rule. */
  async update(): Promise<never> {
    throw new SecurityGroupRuleUpdateNotSupported();
  }

  async delete(caller: AuthContext, id: string): Promise<void> {
    await this.repo.transaction(async (trx) => {
      const row = await this.#visibleRow(caller, id, trx);
      const group = await this.repo.lockGroup(trx, row.security_group_id);
      await this.repo.deleteRule(id, trx);
      if (group)
        await this.repo.updateGroup(
          group.id,
          { revision_number: group.revision_number + 1, updated_at: neutronTime() },
          trx,
        );
    });
  }

  /** Inserts a rule without the API's checks: the default group's own rules. */
  async insertIn(
    trx: Transaction<Database>,
    groupId: string,
    projectId: string,
    rule: { direction: Direction; ethertype: Ethertype; remote_group_id: string | null },
  ): Promise<void> {
    const now = neutronTime();
    await this.repo.insertRule(
      {
        id: randomUUID(),
        security_group_id: groupId,
        project_id: projectId,
        direction: rule.direction,
        ethertype: rule.ethertype,
        protocol: null,
        port_range_min: null,
        port_range_max: null,
        remote_ip_prefix: null,
        remote_group_id: rule.remote_group_id,
        remote_address_group_id: null,
        description: "",
        revision_number: 0,
        created_at: now,
        updated_at: now,
      },
      trx,
    );
  }
}

/**
 * A PUT of a rule that names no attribute (any attribute it names is read-only, a 400 at
 * the edge): Neutron has no update of a rule either.
 */
export class SecurityGroupRuleUpdateNotSupported extends InvalidInput {
  constructor() {
    super("Security group rules cannot be updated.");
  }
}
