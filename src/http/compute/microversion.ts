/**
 * Compute API microversions. The legacy /v2 endpoint runs as version 2.0, below
 * every real microversion, so ranges written as "2.1"-"latest" exclude it.
 */
export class ApiVersion {
  constructor(
    readonly major: number,
    readonly minor: number,
  ) {}

  static parse(text: string): ApiVersion | undefined {
    const match = /^([1-9]\d*)\.([1-9]\d*|0)$/.exec(text);
    if (!match) return undefined;
    return new ApiVersion(Number(match[1]), Number(match[2]));
  }

  /** Parses a version literal written in the code; throws on a typo. */
  static of(text: string): ApiVersion {
    const v = ApiVersion.parse(text);
    if (!v) throw new Error(`bad microversion literal ${text}`);
    return v;
  }

  compare(other: ApiVersion): number {
    return this.major - other.major || this.minor - other.minor;
  }

  atLeast(text: string): boolean {
    return this.compare(ApiVersion.of(text)) >= 0;
  }

  atMost(text: string): boolean {
    return this.compare(ApiVersion.of(text)) <= 0;
  }

  /** True when min <= this <= max; an absent bound is open. */
  within(min?: string | null, max?: string | null): boolean {
    return (min == null || this.atLeast(min)) && (max == null || this.atMost(max));
  }

  get isLegacyV2(): boolean {
    return this.major === 2 && this.minor === 0;
  }

  toString(): string {
    return `${this.major}.${this.minor}`;
  }
}

export const MIN_VERSION = ApiVersion.of("2.1");
export const LEGACY_V2 = new ApiVersion(2, 0);

/**
 * The highest microversion advertised. Every change up to it that touches an API
 * nimbus serves is implemented (APIs nimbus does not serve answer 404 at any version).
 */
export const MAX_VERSION = ApiVersion.of("2.104");

const STANDARD_HEADER = "openstack-api-version";
const LEGACY_HEADER = "x-openstack-nova-api-version";

/** Headers as node delivers them: a repeated header arrives as an array or comma-joined. */
type Headers = Record<string, string | string[] | undefined>;

export type Negotiation =
  | { ok: true; version: ApiVersion }
  | { ok: false; status: 400 | 406; message: string };

/**
 * Picks the request's microversion from `OpenStack-API-Version: compute X.Y` (the last
 * compute entry wins) or the legacy `X-OpenStack-Nova-API-Version`; none means 2.1.
 */
export function negotiate(headers: Headers): Negotiation {
  let requested: string | undefined;
  const standard = headers[STANDARD_HEADER];
  if (standard !== undefined) {
    const entries = (Array.isArray(standard) ? standard.join(",") : standard).split(",");
    for (const entry of entries) {
      const [service, value] = entry.trim().split(/\s+/, 2);
      if (service?.toLowerCase() === "compute" && value !== undefined) requested = value;
    }
  }
  if (requested === undefined) {
    const legacy = headers[LEGACY_HEADER];
    if (legacy !== undefined) requested = (Array.isArray(legacy) ? legacy.at(-1)! : legacy).trim();
  }
  if (requested === undefined) return { ok: true, version: MIN_VERSION };
  if (requested.toLowerCase() === "latest") return { ok: true, version: MAX_VERSION };
  const version = ApiVersion.parse(requested);
  if (!version) {
    return {
      ok: false,
      status: 400,
      message: `API Version String ${requested} is of invalid format. Must be of format MajorNum.MinorNum.`,
    };
  }
  if (version.compare(MIN_VERSION) < 0 || version.compare(MAX_VERSION) > 0) {
    return {
      ok: false,
      status: 406,
      message: `Version ${version} is not supported by the API. Minimum is ${MIN_VERSION} and maximum is ${MAX_VERSION}.`,
    };
  }
  return { ok: true, version };
}
