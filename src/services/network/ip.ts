/**
 * IPv4 and IPv6 addresses as bigints, and CIDR arithmetic on them: what IPAM and subnet
 * validation need, in one small module with no dependency.
 */

export type IpVersion = 4 | 6;

export interface Ip {
  version: IpVersion;
  value: bigint;
}

export interface Cidr {
  version: IpVersion;
  /** The network address (host bits zero). */
  network: bigint;
  prefix: number;
}

const BITS: Record<IpVersion, number> = { 4: 32, 6: 128 };

function parseV4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    // no leading zeros: "010" is octal to some parsers and decimal to others
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseV6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string): number[] | undefined => {
    if (half === "") return [];
    const out: number[] = [];
    const parts = half.split(":");
    for (const [i, part] of parts.entries()) {
      if (i === parts.length - 1 && part.includes(".")) {
        const v4 = parseV4(part);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
        out.push(Number.parseInt(part, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0] ?? "");
  const tail = halves.length === 2 ? groups(halves[1] ?? "") : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  let value = 0n;
  for (const g of [...head, ...new Array<number>(missing).fill(0), ...tail])
    value = (value << 16n) | BigInt(g);
  return value;
}

/** Parses an address, or undefined when it is none. */
export function parseIp(text: string): Ip | undefined {
  const v4 = parseV4(text);
  if (v4 !== undefined) return { version: 4, value: v4 };
  const v6 = text.includes(":") ? parseV6(text) : undefined;
  return v6 === undefined ? undefined : { version: 6, value: v6 };
}

/** The canonical text of an address: dotted quad, or RFC 5952's compressed lower-case IPv6. */
export function formatIp(ip: Ip): string {
  if (ip.version === 4) {
    return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 255n)).join(".");
  }
  const groups = [...Array(8).keys()].map((i) => Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn));
  // the longest run of two or more zero groups (the first of equals) becomes "::"
  let best = { at: -1, length: 1 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { at: i, length: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(":");
  return `${hex.slice(0, best.at).join(":")}::${hex.slice(best.at + best.length).join(":")}`;
}

/** The canonical form of an address text, or undefined when it is no address. */
export function canonicalIp(text: string): string | undefined {
  const ip = parseIp(text);
  return ip ? formatIp(ip) : undefined;
}

/**
 * Parses `address/prefix`. `strict` refuses host bits (Neutron normalises them away for a
 * subnet's cidr, so callers that want that pass false and read `network`).
 */
export function parseCidr(text: string): Cidr | undefined {
  const [address, prefixText, ...rest] = text.split("/");
  if (address === undefined || prefixText === undefined || rest.length > 0) return undefined;
  const ip = parseIp(address);
  if (!ip || !/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > BITS[ip.version]) return undefined;
  return { version: ip.version, network: ip.value & ~hostMask(ip.version, prefix), prefix };
}

function hostMask(version: IpVersion, prefix: number): bigint {
  return (1n << BigInt(BITS[version] - prefix)) - 1n;
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIp({ version: cidr.version, value: cidr.network })}/${cidr.prefix}`;
}

/** The last address of the range. */
export function lastOf(cidr: Cidr): bigint {
  return cidr.network | hostMask(cidr.version, cidr.prefix);
}

export function contains(cidr: Cidr, ip: Ip): boolean {
  return ip.version === cidr.version && ip.value >= cidr.network && ip.value <= lastOf(cidr);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.version === b.version && a.network <= lastOf(b) && b.network <= lastOf(a);
}

/**
 * The modified EUI-64 address of a MAC in a /64 (RFC 4291 appendix A): what SLAAC hosts
 * configure, so Neutron gives ports of auto-address subnets exactly that.
 */
export function eui64(cidr: Cidr, mac: string): Ip {
  const bytes = mac.split(":").map((b) => Number.parseInt(b, 16));
  const id = [(bytes[0] ?? 0) ^ 0x02, bytes[1], bytes[2], 0xff, 0xfe, bytes[3], bytes[4], bytes[5]];
  const interfaceId = id.reduce<bigint>((n, b) => (n << 8n) | BigInt(b ?? 0), 0n);
  return { version: 6, value: cidr.network | interfaceId };
}

/**
 * The addresses a subnet can hand out, before the gateway is taken away: all but the
 * network address, and for IPv4 the broadcast address (as Neutron's IPAM: /31 and /32
 * keep both; IPv6 keeps its last address, having no broadcast).
 */
export function usableRange(cidr: Cidr): { first: bigint; last: bigint } | undefined {
  const last = lastOf(cidr);
  if (cidr.version === 4 && cidr.prefix >= 31) return { first: cidr.network, last };
  const first = cidr.network + 1n;
  const end = cidr.version === 4 ? last - 1n : last;
  return first <= end ? { first, last: end } : undefined;
}
