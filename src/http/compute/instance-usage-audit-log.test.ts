/**
 * `/os-instance_usage_audit_log[/{before_timestamp}]` through inject(): the audit period
 * nova reports (the last whole month before the time given), its answer when no compute
 * host has run the audit (nimbus runs none), nova's timestamp formats and their 400, and
 * the admin-only policy.
 */
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComputeHarness, computeHarness, keysOf, sample } from "../../../test/compute-harness.js";
import { lastCompletedMonth } from "./instance-usage-audit-log.js";

const HOST = os.hostname();

let h: ComputeHarness;
beforeAll(async () => {
  h = await computeHarness();
});
afterAll(async () => h.close());

const get = (url: string, as: "admin" | "demo" = "admin") => h.call({ url, as });
const show = (timestamp: string) => get(`/os-instance_usage_audit_log/${encodeURIComponent(timestamp)}`);

/** What nova answers for a period no host has audited, with this machine as the one compute host. */
const notRun = (begin: string, end: string) => ({
  hosts_not_run: [HOST],
  log: {},
  num_hosts: 1,
  num_hosts_done: 0,
  num_hosts_not_run: 1,
  num_hosts_running: 0,
  overall_status: "0 of 1 hosts done. 0 errors.",
  period_beginning: begin,
  period_ending: end,
  total_errors: 0,
  total_instances: 0,
});

describe("lastCompletedMonth", () => {
  const at = (iso: string) => {
    const { begin, end } = lastCompletedMonth(Date.parse(iso));
    return [begin.toISOString(), end.toISOString()];
  };

  it("is the month before the current one, the current one ending at its first moment", () => {
    expect(at("2012-07-15T10:00:00Z")).toEqual(["2012-06-01T00:00:00.000Z", "2012-07-01T00:00:00.000Z"]);
    expect(at("2012-07-01T00:00:00.001Z")).toEqual(["2012-06-01T00:00:00.000Z", "2012-07-01T00:00:00.000Z"]);
    // a month is complete only after its end
    expect(at("2012-07-01T00:00:00Z")).toEqual(["2012-05-01T00:00:00.000Z", "2012-06-01T00:00:00.000Z"]);
    expect(at("2013-01-10T00:00:00Z")).toEqual(["2012-12-01T00:00:00.000Z", "2013-01-01T00:00:00.000Z"]);
    expect(at("2013-02-01T00:00:00Z")).toEqual(["2012-12-01T00:00:00.000Z", "2013-01-01T00:00:00.000Z"]);
  });
});

describe("GET /os-instance_usage_audit_log", () => {
  it("reports the last whole month with every compute host not run (nimbus has no audit task)", async () => {
    const r = await get("/os-instance_usage_audit_log");
    expect(r.status, r.text).toBe(200);
    const now = new Date();
    const { begin, end } = lastCompletedMonth(now.getTime());
    const text = (d: Date) => d.toISOString().slice(0, 19).replace("T", " ");
    expect(r.json).toEqual({ instance_usage_audit_logs: notRun(text(begin), text(end)) });
    expect(keysOf(r.json.instance_usage_audit_logs)).toEqual(
      keysOf(
        sample("os-instance-usage-audit-log/inst-usage-audit-log-index-get-resp.json")
          .instance_usage_audit_logs,
      ),
    );
  });

  it("is for admins", async () => {
    const r = await get("/os-instance_usage_audit_log", "demo");
    expect(r.status).toBe(403);
    expect(r.json.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-instance-usage-audit-log:list to be performed.",
    );
  });
});

describe("GET /os-instance_usage_audit_log/{before_timestamp}", () => {
  it("reports the last whole month before the timestamp, in nova's two formats", async () => {
    const june = { instance_usage_audit_log: notRun("2012-06-01 00:00:00", "2012-07-01 00:00:00") };
    expect((await show("2012-07-15 10:00:00")).json).toEqual(june);
    expect((await show("2012-07-01 00:00:00.5")).json).toEqual(june);
    // strptime's leniency: one-digit fields, a day padded with a space, any whitespace
    expect((await show("2012-7- 9 1:2:3")).json).toEqual(june);
    expect((await show("2012-07-15\t\t10:00:00")).json).toEqual(june);
    const may = { instance_usage_audit_log: notRun("2012-05-01 00:00:00", "2012-06-01 00:00:00") };
    expect((await show("2012-07-01 00:00:00")).json).toEqual(may);
    expect(keysOf((await show("2012-07-15 10:00:00")).json.instance_usage_audit_log)).toEqual(
      keysOf(
        sample("os-instance-usage-audit-log/inst-usage-audit-log-show-get-resp.json")
          .instance_usage_audit_log,
      ),
    );
  });

  it("400 for what strptime refuses", async () => {
    for (const bad of [
      "2012-07-15",
      "2012-07-15T10:00:00",
      "2012-07-15 10:00:00Z",
      "2012-07-15 10:00:00.",
      "2012-07-15 10:00:00.1234567",
      "2012-02-30 10:00:00",
      "2012-07-15 10:00:60",
      "2012-13-01 00:00:00",
      "12-07-15 10:00:00",
      "0000-07-15 10:00:00",
    ]) {
      const r = await show(bad);
      expect(r.status, bad).toBe(400);
      expect(r.json.badRequest.message).toBe(`Invalid timestamp for date ${bad}`);
    }
  });

  it("is for admins", async () => {
    const r = await get(`/os-instance_usage_audit_log/${encodeURIComponent("2012-07-15 10:00:00")}`, "demo");
    expect(r.status).toBe(403);
    expect(r.json.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-instance-usage-audit-log:show to be performed.",
    );
  });

  it("2.102 refuses unknown query parameters; before, they are ignored", async () => {
    const url = `/os-instance_usage_audit_log/${encodeURIComponent("2012-07-15 10:00:00")}?bogus=1`;
    expect((await h.call({ url, as: "admin", version: "2.101" })).status).toBe(200);
    expect((await h.call({ url, as: "admin", version: "2.102" })).status).toBe(400);
  });
});
