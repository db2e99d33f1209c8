import { statesForStatus } from "../../services/compute/vm-states.js";
import type { AuthContext } from "../../services/context.js";
import type { InstanceFilter, SortColumn, SortKey } from "../../store/instance-repository.js";
import { badRequest, forbidden } from "../faults.js";
import type { ApiVersion } from "./microversion.js";

export const MAX_LIMIT = 1000;

/**
 * Filters a non-admin may use, by the microversion that opened them (FAULTS.md §9);
 * any other filter is dropped silently for non-admins, as nova does.
 */
const USER_FILTERS: Array<[string, string]> = [
  ["reservation_id", "2.1"],
  ["name", "2.1"],
  ["status", "2.1"],
  ["image", "2.1"],
  ["flavor", "2.1"],
  ["ip", "2.1"],
  ["changes-since", "2.1"],
  ["all_tenants", "2.1"],
  ["ip6", "2.5"],
  ["tags", "2.26"],
  ["tags-any", "2.26"],
  ["not-tags", "2.26"],
  ["not-tags-any", "2.26"],
  ["changes-before", "2.66"],
  ["locked", "2.73"],
  ["availability_zone", "2.83"],
  ["config_drive", "2.83"],
  ["key_name", "2.83"],
  ["created_at", "2.83"],
  ["launched_at", "2.83"],
  ["terminated_at", "2.83"],
  ["power_state", "2.83"],
  ["task_state", "2.83"],
  ["vm_state", "2.83"],
  ["progress", "2.83"],
  ["user_id", "2.83"],
  ["hostname", "2.90"],
];

/** API sort keys → columns; keys nova accepts but has no meaning here are ignored. */
const SORT_KEYS: Record<string, SortColumn | null> = {
  host: "host",
  key_name: "key_name",
  hostname: "hostname",
  root_device_name: "root_device_name",
  node: "node",
  launch_index: "launch_index",
  vm_state: "vm_state",
  access_ip_v4: "access_ip_v4",
  access_ip_v6: "access_ip_v6",
  user_id: "user_id",
  created_at: "created_at",
  updated_at: "updated_at",
  instance_type_id: "flavor_id",
  availability_zone: "availability_zone",
  launched_at: "launched_at",
  terminated_at: "terminated_at",
  progress: "progress",
  uuid: "uuid",
  display_name: "display_name",
  display_description: "display_description",
  config_drive: "config_drive",
  image_ref: "image_ref",
  task_state: "task_state",
  power_state: "power_state",
  locked: "locked",
  project_id: "project_id",
  kernel_id: null,
  ramdisk_id: null,
  auto_disk_config: "auto_disk_config",
  locked_by: null,
};
const ADMIN_SORT_KEYS = new Set(["host", "node"]);

const TRUE_WORDS = new Set(["1", "t", "true", "on", "y", "yes"]);
const FALSE_WORDS = new Set(["0", "f", "false", "off", "n", "no"]);

function parseBool(name: string, text: string): boolean {
  const lower = text.toLowerCase();
  if (TRUE_WORDS.has(lower)) return true;
  if (FALSE_WORDS.has(lower)) return false;
  throw badRequest(`Invalid value '${text}' for ${name}: must be a boolean`);
}

/** ISO 8601 with optional zone (none = UTC), as oslo's parse_isotime accepts. */
function parseTime(name: string, text: string): string {
  const iso = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
  if (!iso.test(text)) throw badRequest(`Invalid filter field: ${name}.`);
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(text) && text.length > 10;
  const date = new Date(hasZone ? text.replace(" ", "T") : `${text.replace(" ", "T")}Z`);
  if (Number.isNaN(date.getTime())) throw badRequest(`Invalid filter field: ${name}.`);
  return date.toISOString();
}

const last = (values: string[] | undefined) => values?.at(-1);
const splitTags = (values: string[] | undefined) =>
  values
    ?.flatMap((v) => v.split(","))
    .map((t) => t.trim())
    .filter((t) => t !== "");

export interface ServerListRequest {
  filter: Omit<InstanceFilter, "marker">;
  marker?: string;
  /** The page size the caller asked for (capped), for the next link. */
  limit: number;
}

/**
 * Turns a validated `GET /servers[/detail]` query into a store filter, applying nova's
 * rules: scoping (all_tenants is admin's), per-version filters for non-admins,
 * status → states, deleted servers with changes-since, sort keys and page size.
 */
export function serverListRequest(
  query: Record<string, string[]>,
  version: ApiVersion,
  auth: AuthContext,
  kind: "index" | "detail",
): ServerListRequest {
  const q: Record<string, string[]> = {};
  for (const [key, values] of Object.entries(query)) {
    if (auth.isAdmin) q[key] = values;
    else if (USER_FILTERS.some(([name, since]) => name === key && version.atLeast(since))) q[key] = values;
  }
  // nova names it allow_all_filters; the paging and sorting keys are always kept
  for (const key of ["limit", "marker", "sort_key", "sort_dir"]) if (query[key]) q[key] = query[key]!;

  const filter: Omit<InstanceFilter, "marker"> = { deleted: "exclude", sort: [], limit: MAX_LIMIT };
  const allTenants =
    q.all_tenants !== undefined &&
    (last(q.all_tenants) === "" || parseBool("all_tenants", last(q.all_tenants)!));
  if (allTenants && !auth.isAdmin) {
    throw forbidden(`Policy doesn't allow os_compute_api:servers:${kind}:get_all_tenants to be performed.`);
  }
  // without all_tenants nova lists the caller's own project, whatever project_id says
  const project = last(q.project_id) ?? last(q.tenant_id);
  if (!allTenants) filter.projectId = auth.projectId ?? "";
  else if (project) filter.projectId = project;

  const name = last(q.name) ?? last(q.display_name);
  if (name !== undefined) filter.nameRegex = name;
  if (q.hostname) filter.hostnameRegex = last(q.hostname);
  if (q.ip) filter.ipRegex = last(q.ip);
  if (q.ip6) filter.ip6Regex = last(q.ip6);
  if (q.image) filter.imageRef = last(q.image)!.split("/").at(-1);
  if (q.flavor) filter.flavorId = last(q.flavor)!.split("/").at(-1);
  if (q.reservation_id) filter.reservationId = last(q.reservation_id);
  if (q.host) filter.host = last(q.host);
  if (q.node) filter.node = last(q.node);
  if (q.availability_zone) filter.availabilityZone = last(q.availability_zone);
  if (q.key_name) filter.keyName = last(q.key_name);
  if (q.user_id) filter.userId = last(q.user_id);
  if (q.uuid) filter.uuids = q.uuid;
  if (q.config_drive) filter.configDrive = parseBool("config_drive", last(q.config_drive)!) ? "True" : "";
  if (q.locked) filter.locked = parseBool("locked", last(q.locked)!);
  if (q.progress) filter.progress = Number(last(q.progress));
  if (q.power_state) filter.powerStates = q.power_state.map(Number).filter((n) => !Number.isNaN(n));
  if (q.vm_state) filter.vmStates = q.vm_state;
  if (q.task_state) filter.taskStates = q.task_state;
  for (const [key, target] of [
    ["created_at", "createdAt"],
    ["launched_at", "launchedAt"],
    ["terminated_at", "terminatedAt"],
  ] as const) {
    if (q[key]) filter[target] = parseTime(key, last(q[key])!);
  }
  if (q.tags) filter.tags = splitTags(q.tags);
  if (q["tags-any"]) filter.tagsAny = splitTags(q["tags-any"]);
  if (q["not-tags"]) filter.notTags = splitTags(q["not-tags"]);
  if (q["not-tags-any"]) filter.notTagsAny = splitTags(q["not-tags-any"]);

  if (q.status) {
    const vmStates = new Set<string>();
    const taskStates = new Set<string | null>();
    let anyTask = false;
    for (const status of q.status) {
      const states = statesForStatus(status);
      if (!states) {
        if (version.atLeast("2.38")) throw badRequest(`Invalid status value`);
        filter.vmStates = [];
        continue;
      }
      for (const s of states.vmStates) vmStates.add(s);
      if (states.taskStates === "any") anyTask = true;
      else for (const t of states.taskStates) taskStates.add(t);
    }
    if (filter.vmStates === undefined || vmStates.size > 0) filter.vmStates = [...vmStates];
    if (!anyTask && taskStates.size > 0) filter.taskStates = [...taskStates];
  }

  const since = last(q["changes-since"]);
  const before = last(q["changes-before"]);
  if (since !== undefined) filter.changesSince = parseTime("changes-since", since);
  if (before !== undefined) filter.changesBefore = parseTime("changes-before", before);
  if (filter.changesSince && filter.changesBefore && filter.changesBefore < filter.changesSince) {
    throw badRequest(`The value of changes-since must be less than or equal to changes-before.`);
  }
  const deletedParam = last(q.deleted);
  if (deletedParam !== undefined) filter.deleted = parseBool("deleted", deletedParam) ? "only" : "exclude";
  else if (since !== undefined || before !== undefined) filter.deleted = "include";

  filter.sort = sortKeys(q, auth, version);

  let limit = MAX_LIMIT;
  const limitText = last(q.limit);
  if (limitText !== undefined) {
    const n = Number(limitText);
    if (!/^\d+$/.test(limitText)) throw badRequest("limit param must be an integer");
    // nova's get_limit_and_marker: min(max_limit, limit), so 0 asks for no servers at all
    limit = Math.min(n, MAX_LIMIT);
  }
  filter.limit = limit;
  return { filter, marker: last(q.marker), limit };
}

function sortKeys(q: Record<string, string[]>, auth: AuthContext, version: ApiVersion): SortKey[] {
  const keys = q.sort_key ?? [];
  const dirs = q.sort_dir ?? [];
  const out: SortKey[] = [];
  keys.forEach((key, i) => {
    if (ADMIN_SORT_KEYS.has(key) && !auth.isAdmin)
      throw forbidden(`Only administrators can sort servers by ${key}`);
    const column = SORT_KEYS[key];
    // nova ignores keys it cannot sort by, and `locked` (with its direction) before 2.73
    if (!column || (key === "locked" && !version.atLeast("2.73"))) return;
    const dir = (dirs[i] ?? dirs[0] ?? "desc").toLowerCase();
    out.push({ column, direction: dir === "asc" ? "asc" : "desc" });
  });
  if (out.length === 0) out.push({ column: "created_at", direction: "desc" });
  if (!out.some((k) => k.column === "uuid")) out.push({ column: "uuid", direction: out[0]!.direction });
  return out;
}
