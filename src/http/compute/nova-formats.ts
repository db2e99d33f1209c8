/** Formats, as nova's format checker (and the checkers jsonschema brings) define them. */
import { isIPv4, isIPv6 } from "node:net";
import { pythonRegExp } from "./python-regexp.js";

/** "Printable" for nova: not in a C* or Z* category, except Zs, and in the BMP below U+FFFF. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]$/u;
const SPACE = /^\p{Zs}$/u;

/**
 * One check for nova's four name formats. `edges`: the first and last character must not be
 * a space (`name`, `az_name`); otherwise at least one non-space character is required. The
 * BMP limit falls out of iterating code points: an astral character has length 2.
 */
function nameCheck(options: { colon: boolean; edges: boolean }) {
  return (text: string): boolean => {
    // Python's `$` in nova's regexes also accepts one trailing newline, though not as the
    // only character where the first one is checked.
    if (options.edges && text === "\n") return false;
    const chars = [...(text.endsWith("\n") ? text.slice(0, -1) : text)];
    const printable = (ch: string) => ch.length === 1 && PRINTABLE.test(ch) && (options.colon || ch !== ":");
    if (!chars.every(printable)) return false;
    if (options.edges) return chars.length === 0 || (!SPACE.test(chars[0]!) && !SPACE.test(chars.at(-1)!));
    return chars.some((ch) => !SPACE.test(ch));
  };
}

/** nova's `InvalidName` reasons (`parameter_types.py`), quoted verbatim, typos included. */
export const NAME_REASONS: Record<string, string> = {
  name: "printable characters. Can not start or end with whitespace.",
  az_name: "printable characters except :.Can not start or end with whitespace.",
  name_with_leading_trailing_spaces: "printable characters with at least one non space character",
  az_name_with_leading_trailing_spaces:
    "printable characters except :, with at least one non space character",
};

/** oslo `uuidutils.is_uuid_like`: 32 hex digits once dashes, braces and urn/uuid prefixes go. */
function isUuidLike(text: string): boolean {
  const hex = text
    .replaceAll("urn:", "")
    .replaceAll("uuid:", "")
    .replace(/^[{}]+|[{}]+$/g, "")
    .replaceAll("-", "");
  return /^[0-9a-f]{32}$/i.test(hex);
}

/** The `iso8601` package's grammar (what oslo `parse_isotime` uses); timezone optional. */
const ISO8601 = new RegExp(
  [
    "^([0-9]{4})",
    String.raw`(?:(?:-([0-9]{1,2})|([0-9]{2})(?!\n?$))`,
    "(?:(?:-([0-9]{1,2})|([0-9]{2}))",
    "(?:[ T]([0-9]{2})(?::?([0-9]{2}))?(?::?([0-9]{1,2})(?:[.,][0-9]+)?)?",
    String.raw`(Z|([-+])([0-9]{2}):?([0-9]{2})?)?)?)?)?(?=\n?$)`,
  ].join(""),
);

/** A match must also make a valid Python datetime (and a timezone within ±24 h). */
function isIsoTime(text: string): boolean {
  const m = ISO8601.exec(text);
  if (!m) return false;
  const num = (i: number, absent: number) => (m[i] === undefined ? absent : Number(m[i]));
  const [year, month, day] = [num(1, 0), num(2, num(3, 1)), num(4, num(5, 1))];
  const [hour, minute, second] = [num(6, 0), num(7, 0), num(8, 0)];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (year < 1 || days === undefined || day < 1 || day > days) return false;
  if (hour > 23 || minute > 59 || second > 59) return false;
  return num(11, 0) * 60 + num(12, 0) < 24 * 60;
}

/**
 * Python's lenient `base64.b64decode` (via oslo): characters outside the alphabet are
 * skipped, a complete pad sequence ends the input, and the data must fill whole quads.
 * Non-ASCII input is refused here; in nova it escapes the checker as an internal error.
 */
function isBase64(text: string): boolean {
  if (/[^\p{ASCII}]/u.test(text)) return false;
  let quad = 0;
  let pads = 0;
  for (const c of text) {
    if (c === "=") {
      if (quad >= 2 && quad + ++pads >= 4) return true;
    } else if (/[A-Za-z0-9+/]/.test(c)) {
      pads = 0;
      quad = (quad + 1) % 4;
    }
  }
  return quad === 0;
}

/** netaddr.IPNetwork with an explicit "/prefix" (or IPv4 netmask) and no whitespace. */
function isCidr(text: string): boolean {
  if (/\s/.test(text)) return false;
  const parts = text.split("/");
  if (parts.length !== 2) return false;
  const [address, prefix] = parts as [string, string];
  const bits = isIPv4(address) ? 32 : isIPv6(address) ? 128 : 0;
  if (bits === 0) return false;
  if (/^[0-9]+$/.test(prefix)) return Number(prefix) <= bits;
  if (bits !== 32 || !isIPv4(prefix)) return false;
  const mask = prefix.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const binary = mask.toString(2).padStart(32, "0");
  return /^1*0*$/.test(binary) || /^0*1*$/.test(binary); // netmask or hostmask
}

/** rfc3986: an absolute URI with a scheme and a host, every component well formed. */
function isUri(text: string): boolean {
  const m = /^([^:/?#]+):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(text);
  if (!m || !/^[A-Za-z][A-Za-z0-9+.-]*$/.test(m[1]!)) return false;
  const chars = String.raw`(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*`;
  const valid = new RegExp(`^${chars}$`);
  const authority = /^(?:([^@]*)@)?(\[[0-9A-Fa-f:.]+\]|[^:]*)(?::([0-9]*))?$/.exec(m[2]!);
  if (!authority || authority[2] === "") return false;
  const [, userinfo, host] = authority;
  if (host!.startsWith("[") ? !isIPv6(host!.slice(1, -1)) : !valid.test(host!) || host!.includes("@"))
    return false;
  return [userinfo, m[3], m[4], m[5]].every((part) => part === undefined || valid.test(part));
}

/** nova's `regex` format: a non-empty pattern Python can compile. */
function isRegex(text: string): boolean {
  if (text === "") return false;
  try {
    pythonRegExp(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * nova's format checkers by name (its own plus the jsonschema ones its schemas use); ajv
 * applies them to strings only, as nova's checkers pass any other type.
 */
export const NOVA_FORMATS: Readonly<Record<string, (text: string) => boolean>> = {
  uuid: isUuidLike,
  "date-time": isIsoTime,
  base64: isBase64,
  cidr: isCidr,
  uri: isUri,
  regex: isRegex,
  // jsonschema's checkers: Python's ipaddress (no IPv6 scope id) and a bare "@" for email.
  ipv4: (text) => isIPv4(text),
  ipv6: (text) => isIPv6(text) && !text.includes("%"),
  email: (text) => text.includes("@"),
  name: nameCheck({ colon: true, edges: true }),
  az_name: nameCheck({ colon: false, edges: true }),
  name_with_leading_trailing_spaces: nameCheck({ colon: true, edges: false }),
  az_name_with_leading_trailing_spaces: nameCheck({ colon: false, edges: false }),
};
