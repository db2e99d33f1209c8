import { isoMicros } from "../../../clock.js";
import type { InstanceActionEventRow, InstanceActionRow } from "../../../store/schema.js";
import type { ApiVersion } from "../microversion.js";
import { hostId } from "./servers.js";

/** Who is looking: admins see tracebacks, hosts and details (nova's default policies). */
interface ViewContext {
  version: ApiVersion;
  admin: boolean;
  /** The server's project, for the per-project hostId. */
  projectId: string;
}

interface Field<Row> {
  key: string;
  min?: string;
  admin?: boolean;
  value: (row: Row, v: ViewContext) => unknown;
}

/** nova's InstanceAction view: `updated_at` from 2.58. */
const ACTION_FIELDS: Field<InstanceActionRow>[] = [
  { key: "action", value: (r) => r.action },
  { key: "instance_uuid", value: (r) => r.instance_uuid },
  { key: "message", value: (r) => r.message },
  { key: "project_id", value: (r) => r.project_id },
  { key: "request_id", value: (r) => r.request_id },
  { key: "start_time", value: (r) => isoMicros(r.start_time) },
  { key: "user_id", value: (r) => r.user_id },
  { key: "updated_at", min: "2.58", value: (r) => isoMicros(r.updated_at) },
];

/**
 * nova's event view: traceback for admins; hostId (everyone) and host (admins) from 2.62;
 * details from 2.84, admin-only by default (os-instance-actions:events:details).
 */
const EVENT_FIELDS: Field<InstanceActionEventRow>[] = [
  { key: "event", value: (e) => e.event },
  { key: "start_time", value: (e) => isoMicros(e.start_time) },
  { key: "finish_time", value: (e) => (e.finish_time ? isoMicros(e.finish_time) : null) },
  { key: "result", value: (e) => e.result },
  { key: "traceback", admin: true, value: (e) => e.traceback },
  { key: "hostId", min: "2.62", value: (e, v) => hostId(v.projectId, e.host) },
  { key: "host", min: "2.62", admin: true, value: (e) => e.host ?? "" },
  { key: "details", min: "2.84", admin: true, value: (e) => e.details },
];

function render<Row>(fields: Field<Row>[], row: Row, v: ViewContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if ((!f.admin || v.admin) && v.version.within(f.min)) out[f.key] = f.value(row, v);
  }
  return out;
}

export const actionView = (row: InstanceActionRow, v: ViewContext) => render(ACTION_FIELDS, row, v);

export const eventView = (row: InstanceActionEventRow, v: ViewContext) => render(EVENT_FIELDS, row, v);

/** Events were shown to admins only until 2.51. */
export const showsEvents = (v: ViewContext) => v.admin || v.version.atLeast("2.51");

/** A `next` link on a full page from 2.58, when paging by marker arrived. */
export const pagesWithLinks = (version: ApiVersion) => version.atLeast("2.58");
