import { invalidInput } from "./errors.js";
import {
  type Cidr,
  contains,
  formatIp,
  type Ip,
  type IpVersion,
  parseCidr,
  parseIp,
  usableRange,
} from "./ip.js";

/** A range of addresses a subnet hands out, both ends included (Neutron's allocation pool). */
export interface AllocationPool {
  start: string;
  end: string;
}

/** A subnet as IPAM sees it. */
export interface IpamSubnet {
  id: string;
  cidr: string;
  gatewayIp: string | null;
  allocationPools: AllocationPool[];
}

/**
 * Neutron's default pools: the usable range of the cidr (see usableRange) with the gateway
 * cut out, which splits the range in two when the gateway sits inside it.
 */
export function defaultPools(cidr: Cidr, gateway: Ip | undefined): AllocationPool[] {
  const range = usableRange(cidr);
  if (!range) return [];
  const pools: Array<[bigint, bigint]> = [];
  if (gateway && gateway.value >= range.first && gateway.value <= range.last) {
    if (gateway.value > range.first) pools.push([range.first, gateway.value - 1n]);
    if (gateway.value < range.last) pools.push([gateway.value + 1n, range.last]);
  } else {
    pools.push([range.first, range.last]);
  }
  return pools.map(([start, end]) => ({
    start: formatIp({ version: cidr.version, value: start }),
    end: formatIp({ version: cidr.version, value: end }),
  }));
}

/**
 * Checks requested pools as Neutron's validate_allocation_pools does: each inside the cidr
 * and in order, none over the network or broadcast address, none overlapping another or
 * holding the gateway. Answers them in canonical form.
 */
export function validatePools(
  cidr: Cidr,
  pools: readonly AllocationPool[],
  gateway: Ip | undefined,
): AllocationPool[] {
  const range = usableRange(cidr);
  const parsed = pools.map((pool) => {
    const start = parseIp(pool.start);
    const end = parseIp(pool.end);
    if (!start || !end || start.version !== cidr.version || end.version !== cidr.version)
      throw invalidInput(`The allocation pool ${pool.start}-${pool.end} is not valid`);
    if (start.value > end.value)
      throw invalidInput(`The allocation pool ${pool.start}-${pool.end} is not valid`);
    if (!range || start.value < range.first || end.value > range.last)
      throw invalidInput(
        `The allocation pool ${pool.start}-${pool.end} spans beyond the subnet cidr ${formatCidrText(cidr)}`,
      );
    if (gateway && gateway.value >= start.value && gateway.value <= end.value)
      throw invalidInput(
        `Gateway ip ${formatIp(gateway)} conflicts with allocation pool ${pool.start}-${pool.end}`,
      );
    return { start, end };
  });
  const sorted = [...parsed].sort((a, b) => (a.start.value < b.start.value ? -1 : 1));
  for (let i = 1; i < sorted.length; i++) {
    const before = sorted[i - 1]!;
    const after = sorted[i]!;
    if (after.start.value <= before.end.value)
      throw invalidInput(
        `Found overlapping allocation pools: ${formatIp(before.start)}-${formatIp(before.end)} and ${formatIp(after.start)}-${formatIp(after.end)}`,
      );
  }
  return parsed.map(({ start, end }) => ({ start: formatIp(start), end: formatIp(end) }));
}

function formatCidrText(cidr: Cidr): string {
  return `${formatIp({ version: cidr.version, value: cidr.network })}/${cidr.prefix}`;
}

/**
 * The first free address of a subnet's pools, or undefined when they are full. `taken` are
 * the addresses already allocated from it (canonical text). Walks the pools from their
 * start, skipping taken ones: a full walk costs the number of allocations, not the pool size.
 */
export function firstFree(subnet: IpamSubnet, taken: ReadonlySet<string>): string | undefined {
  const cidr = parseCidr(subnet.cidr);
  if (!cidr) return undefined;
  for (const pool of subnet.allocationPools) {
    const start = parseIp(pool.start);
    const end = parseIp(pool.end);
    if (!start || !end) continue;
    for (let value = start.value; value <= end.value; value++) {
      const text = formatIp({ version: cidr.version, value });
      if (!taken.has(text)) return text;
    }
  }
  return undefined;
}

/**
 * Whether a requested address may be given to a port of this subnet: inside the cidr and
 * neither its network address nor (IPv4) its broadcast address. Addresses outside the pools
 * are allowed, as Neutron allows them for a requested fixed IP.
 */
export function isAssignable(subnetCidr: string, ip: Ip): boolean {
  const cidr = parseCidr(subnetCidr);
  if (!cidr || !contains(cidr, ip)) return false;
  const range = usableRange(cidr);
  return range !== undefined && ip.value >= range.first && ip.value <= range.last;
}

export function versionOf(cidr: string): IpVersion | undefined {
  return parseCidr(cidr)?.version;
}
