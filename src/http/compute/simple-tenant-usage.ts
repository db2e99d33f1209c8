import type { Micros, TenantUsageService } from "../../services/compute/tenant-usage.js";
import { badRequest } from "../faults.js";
import { MAX_LIMIT, nextLinks, type Page, pageOf } from "./pagination.js";
import { authorize, type Policy } from "./policy.js";
import type { ComputeCall, RouteDef } from "./router.js";
import { tenantUsageView } from "./views/simple-tenant-usage.js";

const p = (action: string, rule: Policy["rule"]): Policy => ({
  name: `os_compute_api:os-simple-tenant-usage:${action}`,
  rule,
});

export interface SimpleTenantUsageRouteDeps {
  usage: TenantUsageService;
}

/** Usage pages by limit and marker (a server uuid) from this microversion, with next links. */
const PAGED_FROM = "2.40";

// The three formats nova tries, as Python's strptime reads them: fields may be one digit
// (except the year), "T" in either case, whitespace where the format has a space, and
// %f takes one to six digits.
const YMD = String.raw`(\d{4})-(1[0-2]|0[1-9]|[1-9])-(3[01]|[12]\d|0[1-9]|[1-9]| [1-9])`;
const HMS = String.raw`(2[0-3]|[01]\d|\d):([0-5]\d|\d):(6[01]|[0-5]\d|\d)`;
const FORMATS = [
  new RegExp(`^${YMD}T${HMS}$`, "i"),
  new RegExp(String.raw`^${YMD}T${HMS}\.(\d{1,6})$`, "i"),
  new RegExp(String.raw`^${YMD}\s+${HMS}\.(\d{1,6})$`, "i"),
];

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysIn = (year: number, month: number) =>
  month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1]!;

/** One of nova's usage time formats as UTC microseconds, or undefined (Python's strptime would raise). */
export function parseUsageTime(text: string): Micros | undefined {
  for (const format of FORMATS) {
    const m = format.exec(text);
    if (!m) continue;
    const [year, month, day, hour, minute, second] = m.slice(1, 7).map((v) => Number(v!.trim()));
    // datetime() refuses what the patterns let through: year 0, 30 February, second 60
    if (year! < 1 || day! > daysIn(year!, month!) || second! > 59) continue;
    const date = new Date(Date.UTC(2000, month! - 1, day!, hour!, minute!, second!));
    date.setUTCFullYear(year!);
    const fraction = m[7] === undefined ? 0 : Number(m[7].padEnd(6, "0"));
    return date.getTime() * 1000 + fraction;
  }
  return undefined;
}

/**
 * nova's _parse_qs_params: `start` and `end` (the first non-empty value of each, as
 * parse_qs reads them; absent means now), and `detailed=1`.
 */
function period(call: ComputeCall): { start: Micros; stop: Micros; detailed: boolean } {
  const first = (name: string) => call.query[name]?.find((v) => v !== "");
  const now = Date.now() * 1000;
  // nova reads the clock once per missing bound, the end after the start: an end left out
  // is a microsecond later than a start left out, never the same instant
  const time = (name: "start" | "end"): Micros => {
    const text = first(name);
    if (text === undefined) return name === "end" ? now + 1 : now;
    const parsed = parseUsageTime(text);
    if (parsed === undefined) throw badRequest("Invalid datetime string: Datetime is in invalid format");
    return parsed;
  };
  const start = time("start");
  const stop = time("end");
  if (!(start < stop)) {
    throw badRequest("Invalid start time. The start time cannot occur after the end time.");
  }
  return { start, stop, detailed: first("detailed") === "1" };
}

/** From 2.40 the caller's limit and marker; before, nova's max_limit servers. */
const pageFor = (call: ComputeCall): Page =>
  call.version.atLeast(PAGED_FROM) ? pageOf(call.query) : { limit: MAX_LIMIT };

/**
 * GET /os-simple-tenant-usage (admin: every project) and GET /os-simple-tenant-usage/{id}
 * (the project's readers): hours and flavor sizes of the servers that lived in a period,
 * deleted ones included.
 */
export function simpleTenantUsageRoutes(deps: SimpleTenantUsageRouteDeps): RouteDef[] {
  const { usage } = deps;
  return [
    {
      method: "GET",
      path: "/os-simple-tenant-usage",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("list", "admin"));
        const { start, stop, detailed } = period(call);
        const page = pageFor(call);
        const found = await usage.usage({ start, stop, limit: page.limit, marker: page.marker });
        const body: Record<string, unknown> = {
          tenant_usages: found.tenants.map((t) => tenantUsageView(t, detailed)),
        };
        if (call.version.atLeast(PAGED_FROM)) {
          const next = nextLinks(call, "os-simple-tenant-usage", page, found.servers, (s) => s.instanceId);
          if (next) body.tenant_usages_links = next;
        }
        return body;
      },
    },
    {
      method: "GET",
      path: "/os-simple-tenant-usage/{id}",
      status: 200,
      handler: async (call) => {
        const projectId = call.params.id!;
        authorize(call.auth, p("show", "project_reader"), projectId);
        const { start, stop } = period(call);
        const page = pageFor(call);
        const found = await usage.usage({ start, stop, projectId, limit: page.limit, marker: page.marker });
        const tenant = found.tenants[0];
        const body: Record<string, unknown> = { tenant_usage: tenant ? tenantUsageView(tenant, true) : {} };
        if (call.version.atLeast(PAGED_FROM)) {
          const collection = `os-simple-tenant-usage/${projectId}`;
          const next = nextLinks(call, collection, page, found.servers, (s) => s.instanceId);
          if (next) body.tenant_usage_links = next;
        }
        return body;
      },
    },
  ];
}
