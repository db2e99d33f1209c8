import { describe, expect, it } from "vitest";
import { canonicalIp, formatCidr, overlaps, parseCidr, usableRange } from "./ip.js";
import { defaultPools, firstFree, validatePools } from "./ipam.js";

describe("ip", () => {
  it("parses and writes addresses canonically (RFC 5952 for IPv6)", () => {
    expect(canonicalIp("10.0.0.1")).toBe("10.0.0.1");
    expect(canonicalIp("2001:DB8:0:0:0:0:2:1")).toBe("2001:db8::2:1");
    expect(canonicalIp("1:0:0:1:0:0:0:1")).toBe("1:0:0:1::1");
    expect(canonicalIp("::")).toBe("::");
    expect(canonicalIp("::ffff:1.2.3.4")).toBe("::ffff:102:304");
    for (const bad of ["1::2::3", "01.2.3.4", "256.0.0.1", "1.2.3", "12345::", "", "a.b.c.d"])
      expect(canonicalIp(bad), bad).toBeUndefined();
  });

  it("reads cidrs, clearing host bits, and knows their usable range and overlaps", () => {
    expect(formatCidr(parseCidr("10.0.0.5/24")!)).toBe("10.0.0.0/24");
    expect(parseCidr("10.0.0.0/33")).toBeUndefined();
    expect(parseCidr("10.0.0.0")).toBeUndefined();
    const range = usableRange(parseCidr("10.0.0.0/29")!)!;
    expect([range.first, range.last]).toEqual([0x0a000001n, 0x0a000006n]);
    expect(usableRange(parseCidr("10.0.0.0/31")!)).toEqual({ first: 0x0a000000n, last: 0x0a000001n });
    expect(overlaps(parseCidr("10.0.0.0/16")!, parseCidr("10.0.5.0/24")!)).toBe(true);
    expect(overlaps(parseCidr("10.0.0.0/24")!, parseCidr("10.0.1.0/24")!)).toBe(false);
    expect(overlaps(parseCidr("10.0.0.0/8")!, parseCidr("::/0")!)).toBe(false);
  });
});

describe("ipam", () => {
  const cidr = parseCidr("10.0.0.0/24")!;
  it("splits the default pool around a gateway inside it", () => {
    expect(defaultPools(cidr, { version: 4, value: 0x0a000001n })).toEqual([
      { start: "10.0.0.2", end: "10.0.0.254" },
    ]);
    expect(defaultPools(cidr, { version: 4, value: 0x0a000064n })).toEqual([
      { start: "10.0.0.1", end: "10.0.0.99" },
      { start: "10.0.0.101", end: "10.0.0.254" },
    ]);
  });

  it("refuses pools outside the cidr, overlapping, or holding the gateway", () => {
    const gateway = { version: 4 as const, value: 0x0a000001n };
    expect(() => validatePools(cidr, [{ start: "10.0.0.0", end: "10.0.0.9" }], undefined)).toThrow(/beyond/);
    expect(() => validatePools(cidr, [{ start: "10.0.0.1", end: "10.0.0.9" }], gateway)).toThrow(/Gateway/);
    expect(() =>
      validatePools(
        cidr,
        [
          { start: "10.0.0.10", end: "10.0.0.20" },
          { start: "10.0.0.20", end: "10.0.0.30" },
        ],
        undefined,
      ),
    ).toThrow(/overlapping/);
    expect(() => validatePools(cidr, [{ start: "10.0.0.9", end: "10.0.0.2" }], undefined)).toThrow(
      /not valid/,
    );
  });

  it("hands out the first address no one holds, across pools, and none when full", () => {
    const subnet = {
      id: "s",
      cidr: "10.0.0.0/24",
      gatewayIp: null,
      allocationPools: [
        { start: "10.0.0.2", end: "10.0.0.3" },
        { start: "10.0.0.8", end: "10.0.0.8" },
      ],
    };
    expect(firstFree(subnet, new Set(["10.0.0.2"]))).toBe("10.0.0.3");
    expect(firstFree(subnet, new Set(["10.0.0.2", "10.0.0.3"]))).toBe("10.0.0.8");
    expect(firstFree(subnet, new Set(["10.0.0.2", "10.0.0.3", "10.0.0.8"]))).toBeUndefined();
  });
});
