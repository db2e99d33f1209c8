import { Binary, type HostService } from "../../services/compute/host-service.js";
import { badRequest } from "../faults.js";
import { authorize, type Policy } from "./policy.js";
import type { RouteDef } from "./router.js";

const policy = (action: string): Policy => ({
  name: `os_compute_api:os-instance-usage-audit-log:${action}`,
  rule: "admin",
});

/**
 * A `before_timestamp` as Python's strptime reads nova's two formats, "%Y-%m-%d %H:%M:%S"
 * and, when the text holds a dot, the same with ".%f": one- or two-digit fields, any run
 * of whitespace for the space, nothing left over.
 */
const TIMESTAMP =
  /^(\d{4})-(1[0-2]|0[1-9]|[1-9])-(3[01]|[12]\d|0[1-9]|[1-9]| [1-9])\s+(2[0-3]|[01]\d|\d):([0-5]\d|\d):(6[01]|[0-5]\d|\d)(?:\.(\d{1,6}))?$/;

/** A UTC date without Date.UTC's mapping of years 0-99 to 1900-1999. */
function utcDate(year: number, monthIndex: number, day = 1, hour = 0, minute = 0, second = 0): Date {
  const date = new Date(0);
  date.setUTCFullYear(year, monthIndex, day);
  date.setUTCHours(hour, minute, second, 0);
  return date;
}

/** The moment a timestamp names (UTC, as nova's naive datetimes are), or undefined where strptime fails. */
function parseTimestamp(text: string): number | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // datetime() refuses what the pattern lets by: year 0, 31 April, seconds 60 and 61
  const date = utcDate(year, month - 1, day, hour, minute, second);
  if (year < 1 || second > 59 || date.getUTCMonth() !== month - 1) return undefined;
  return date.getTime() + Number((m[7] ?? "").padEnd(3, "0").slice(0, 3));
}

/** Python's str() of a naive datetime with no microseconds: "2012-06-01 00:00:00". */
const pythonTime = (d: Date) => d.toISOString().slice(0, 19).replace("T", " ");

/**
 * nova's last_completed_audit_period for its default period, a month from the 1st: the
 * latest whole month that ended before `before`.
 */
export function lastCompletedMonth(before: number): { begin: Date; end: Date } {
  const now = new Date(before);
  let end = utcDate(now.getUTCFullYear(), now.getUTCMonth());
  if (end.getTime() >= before) end = utcDate(now.getUTCFullYear(), now.getUTCMonth() - 1);
  return { begin: utcDate(end.getUTCFullYear(), end.getUTCMonth() - 1), end };
}

/**
 * The instance usage audit of the period before `before`, from the task logs of nova's
 * periodic audit on each compute host. nimbus runs no such audit, so there are no logs:
 * every compute host (disabled ones too) counts as not run, with nothing done.
 */
function auditLog(computeHosts: string[], before: number) {
  const { begin, end } = lastCompletedMonth(before);
  const hosts = [...new Set(computeHosts)];
  const done = 0;
  return {
    hosts_not_run: hosts,
    log: {},
    num_hosts: hosts.length,
    num_hosts_done: done,
    num_hosts_not_run: hosts.length,
    num_hosts_running: 0,
    overall_status: `${done === hosts.length ? "ALL" : `${done} of ${hosts.length}`} hosts done. 0 errors.`,
    period_beginning: pythonTime(begin),
    period_ending: pythonTime(end),
    total_errors: 0,
    total_instances: 0,
  };
}

/** GET /os-instance_usage_audit_log[/{before_timestamp}] (admin). */
export function instanceUsageAuditLogRoutes(deps: { hosts: HostService }): RouteDef[] {
  const computeHosts = async () => (await deps.hosts.list({ binary: Binary.COMPUTE })).map((s) => s.host);
  return [
    {
      method: "GET",
      path: "/os-instance_usage_audit_log",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, policy("list"));
        return { instance_usage_audit_logs: auditLog(await computeHosts(), Date.now()) };
      },
    },
    {
      method: "GET",
      path: "/os-instance_usage_audit_log/{id}",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, policy("show"));
        const before = parseTimestamp(call.params.id!);
        if (before === undefined) throw badRequest(`Invalid timestamp for date ${call.params.id}`);
        return { instance_usage_audit_log: auditLog(await computeHosts(), before) };
      },
    },
  ];
}
