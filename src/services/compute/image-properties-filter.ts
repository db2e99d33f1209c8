/**
 * nova's ImagePropertiesFilter: a host takes a server whose image asks for an architecture
 * (`hw_architecture`), a hypervisor type (`img_hv_type`) or a VM mode (`hw_vm_mode`) only
 * when one of the guests it supports (nova's supported_instances) has them all, and a
 * `img_hv_requested_version` only when its hypervisor's version satisfies it.
 */

/** What a host advertises: the (architecture, hypervisor type, VM mode) it runs, and its hypervisor's version. */
export interface HostCapabilities {
  supportedInstances: ReadonlyArray<readonly [string, string, string]>;
  /** nova's integer form: major × 1,000,000 + minor × 1,000 + micro. */
  hypervisorVersion: number;
}

// nova's fields.Architecture, HVType and VMMode canonicalize
const ARCH_ALIASES: Record<string, string> = {
  i386: "i686",
  i486: "i686",
  i586: "i686",
  x86_32: "i686",
  amd64: "x86_64",
  x64: "x86_64",
  arm64: "aarch64",
  armhf: "armv7l",
  powerpc: "ppc",
  powerpc64: "ppc64",
  ppc64el: "ppc64le",
};
const HV_ALIASES: Record<string, string> = { xapi: "xen" };
const VM_MODE_ALIASES: Record<string, string> = { pv: "xen", hv: "hvm", baremetal: "hvm" };

const canonical = (aliases: Record<string, string>, value: unknown): string | null => {
  if (typeof value !== "string" || value === "") return null;
  const lower = value.toLowerCase();
  return aliases[lower] ?? lower;
};

/** The properties of an image this filter reads; null when it asks for none of them. */
export function computeProperties(
  properties: Record<string, unknown>,
): { wanted: Array<string | null>; version: string | null } | null {
  const wanted = [
    canonical(ARCH_ALIASES, properties.hw_architecture ?? properties.architecture),
    canonical(HV_ALIASES, properties.img_hv_type ?? properties.hypervisor_type),
    canonical(VM_MODE_ALIASES, properties.hw_vm_mode ?? properties.vm_mode),
  ];
  const required = properties.img_hv_requested_version ?? properties.hypervisor_version_requires;
  const version = typeof required === "string" && required.trim() !== "" ? required : null;
  if (wanted.every((w) => w === null) && version === null) return null;
  return { wanted, version };
}

/** Whether the host can run the image (nova's _instance_supported). */
export function imageSupported(
  wanted: NonNullable<ReturnType<typeof computeProperties>>,
  host: HostCapabilities,
): boolean {
  const asksForGuest = wanted.wanted.some((w) => w !== null);
  if (asksForGuest && host.supportedInstances.length === 0) return false;
  const guests = asksForGuest ? host.supportedInstances : [["", "", ""] as const];
  return guests.some(
    (guest) =>
      wanted.wanted.every((w) => w === null || guest.includes(w)) &&
      versionSatisfies(host.hypervisorVersion, wanted.version),
  );
}

/** nova's convert_version_to_str: 1,002,003 → "1.2.3". */
export function versionString(version: number): string {
  return [Math.floor(version / 1_000_000), Math.floor(version / 1000) % 1000, version % 1000].join(".");
}

/**
 * oslo's VersionPredicate: comma-separated conditions such as `>=6.0,<6.2` or `==1.0`, all
 * of which the version must meet. No version (or no requirement) satisfies it, as in nova.
 */
export function versionSatisfies(hypervisorVersion: number, requirement: string | null): boolean {
  if (requirement === null || !hypervisorVersion) return true;
  const have = parse(versionString(hypervisorVersion));
  return requirement.split(",").every((condition) => {
    const match = /^\s*(<=|>=|==|!=|<|>)?\s*([0-9][0-9.]*)\s*$/.exec(condition);
    if (!match) return false;
    const order = compare(have, parse(match[2]!));
    switch (match[1] ?? "==") {
      case "<":
        return order < 0;
      case "<=":
        return order <= 0;
      case ">":
        return order > 0;
      case ">=":
        return order >= 0;
      case "!=":
        return order !== 0;
      default:
        return order === 0;
    }
  });
}

const parse = (version: string): number[] => version.split(".").map(Number);

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}
