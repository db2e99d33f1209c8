/**
 * An accessIPv6 as nova stores it: its IPV6AddressField keeps netaddr's compact form
 * (lower case, the longest leftmost run of two or more zero groups as `::`, an embedded
 * IPv4 written as hex), so `0000:…:babe:220.12.22.2` reads back as `::babe:dc0c:1602`.
 * WHATWG URL's IPv6 serializer writes exactly that form. The schema has checked the
 * address already; anything it let through that is no IPv6 (the empty string) stays.
 */
export function compactIPv6(address: string): string {
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address;
  }
}
