import { createHash } from "node:crypto";
import { isoMicros, isoSeconds } from "../../../clock.js";
import { statusOf } from "../../../services/compute/vm-states.js";
import type { AuthContext } from "../../../services/context.js";
import type { Instance } from "../../../store/instance-record.js";
import type { Links } from "../links.js";
import type { ApiVersion } from "../microversion.js";

/**
 * Which response a server view is for. Show, update and rebuild carry server_groups
 * (2.71), detail does not. Update and rebuild answers before 2.75 are nova's basic
 * view: no extension attributes (OS-EXT-*, OS-SRV-USG:*, key_name, security_groups ...)
 * and bare addresses; they never carry OS-EXT-SRV-ATTR:user_data, and a rebuild answer
 * adds key_name (2.54) and user_data (2.57) of its own.
 */
export type ServerViewKind = "show" | "detail" | "update" | "rebuild";

interface ViewContext {
  version: ApiVersion;
  auth: AuthContext;
  links: Links;
  kind: ServerViewKind;
  /** host_status by host, where the caller may see it (admins, 2.16+). */
  hostStatuses?: ReadonlyMap<string, string>;
}

/** Microversions that the request side reads too (servers.ts). */
export const SINCE = {
  /** host_status, for admins: servers.ts looks statuses up only when they will be shown. */
  hostStatus: "2.16",
  /** description: before it, nova fills a server's description with its name. */
  description: "2.19",
} as const;

/**
 * One field of the server view: the microversion range it appears in, whether only
 * admins see it (nova's extended-server-attributes and host_status policies), and its value.
 */
interface Field {
  key: string;
  min?: string;
  max?: string;
  admin?: boolean;
  /** Left out of lists (detail). */
  single?: boolean;
  /** An extension attribute: left out of update and rebuild answers before 2.75. */
  ext?: boolean;
  /** Only in these responses. */
  only?: ServerViewKind[];
  /** Never in these responses. */
  not?: ServerViewKind[];
  value: (i: Instance, v: ViewContext) => unknown;
}

/** Statuses that show `progress` (nova's _progress_statuses). */
const PROGRESS_STATUSES = new Set(["ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING"]);

/** nova's hostId: an opaque per-project hash of the host, so tenants can tell co-located servers apart. */
export function hostId(projectId: string, host: string | null): string {
  if (!host) return "";
  return createHash("sha224").update(`${projectId}${host}`).digest("hex");
}

/** True for nova's basic view: update and rebuild answers before 2.75. */
const basic = (v: ViewContext) => (v.kind === "update" || v.kind === "rebuild") && !v.version.atLeast("2.75");

function addresses(instance: Instance, v: ViewContext) {
  const out: Record<string, Array<Record<string, unknown>>> = {};
  for (const a of instance.addresses) {
    const list = out[a.network] ?? [];
    const entry: Record<string, unknown> = { version: a.version, addr: a.address };
    if (!basic(v)) Object.assign(entry, { "OS-EXT-IPS:type": a.type, "OS-EXT-IPS-MAC:mac_addr": a.mac });
    list.push(entry);
    out[a.network] = list;
  }
  return out;
}

/** nova keeps every scheduler hint as a list of values. */
function schedulerHints(i: Instance) {
  return Object.fromEntries(
    Object.entries(i.schedulerHints).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]),
  );
}

function flavor(i: Instance, v: ViewContext) {
  if (!v.version.atLeast("2.47")) {
    return {
      id: i.flavor.flavorid,
      links: [{ href: v.links.bookmark("flavors", i.flavor.flavorid), rel: "bookmark" }],
    };
  }
  return {
    vcpus: i.flavor.vcpus,
    ram: i.flavor.memory_mb,
    disk: i.flavor.root_gb,
    ephemeral: i.flavor.ephemeral_gb,
    swap: i.flavor.swap,
    original_name: i.flavor.name,
    extra_specs: i.flavor.extra_specs,
  };
}

function image(i: Instance, v: ViewContext) {
  if (!i.imageRef) return "";
  const out: Record<string, unknown> = {
    id: i.imageRef,
    links: [{ href: v.links.bookmark("images", i.imageRef), rel: "bookmark" }],
  };
  if (v.version.atLeast("2.98")) out.properties = i.imageProperties;
  return out;
}

const FIELDS: Field[] = [
  { key: "id", value: (i) => i.uuid },
  { key: "name", value: (i) => i.name },
  { key: "status", value: (i) => statusOf(i.vmState, i.taskState) },
  { key: "tenant_id", value: (i) => i.projectId },
  { key: "user_id", value: (i) => i.userId },
  { key: "metadata", value: (i) => i.metadata },
  { key: "hostId", value: (i) => hostId(i.projectId, i.host) },
  { key: "image", value: image },
  { key: "flavor", value: flavor },
  { key: "created", value: (i) => isoSeconds(i.createdAt) },
  { key: "updated", value: (i) => isoSeconds(i.updatedAt) },
  { key: "addresses", value: addresses },
  { key: "accessIPv4", value: (i) => i.accessIPv4 ?? "" },
  { key: "accessIPv6", value: (i) => i.accessIPv6 ?? "" },
  { key: "links", value: (i, v) => v.links.pair("servers", i.uuid) },
  { key: "OS-DCF:diskConfig", value: (i) => (i.autoDiskConfig ? "AUTO" : "MANUAL") },
  { key: "key_name", ext: true, value: (i) => i.keyName },
  { key: "config_drive", ext: true, value: (i) => i.configDrive },
  { key: "OS-EXT-AZ:availability_zone", ext: true, value: (i) => i.availabilityZone ?? "" },
  { key: "OS-EXT-STS:power_state", ext: true, value: (i) => i.powerState },
  { key: "OS-EXT-STS:task_state", ext: true, value: (i) => i.taskState },
  { key: "OS-EXT-STS:vm_state", ext: true, value: (i) => i.vmState },
  { key: "OS-SRV-USG:launched_at", ext: true, value: (i) => (i.launchedAt ? isoMicros(i.launchedAt) : null) },
  {
    key: "OS-SRV-USG:terminated_at",
    ext: true,
    value: (i) => (i.terminatedAt ? isoMicros(i.terminatedAt) : null),
  },
  { key: "security_groups", ext: true, value: (i) => i.securityGroups.map((name) => ({ name })) },
  { key: "os-extended-volumes:volumes_attached", ext: true, value: () => [] },
  { key: "OS-EXT-SRV-ATTR:host", ext: true, admin: true, value: (i) => i.host },
  { key: "OS-EXT-SRV-ATTR:hypervisor_hostname", ext: true, admin: true, value: (i) => i.node },
  {
    key: "OS-EXT-SRV-ATTR:instance_name",
    ext: true,
    admin: true,
    value: (i) => `instance-${i.uuid.slice(0, 8)}`,
  },
  {
    key: "OS-EXT-SRV-ATTR:reservation_id",
    ext: true,
    min: "2.3",
    admin: true,
    value: (i) => i.reservationId,
  },
  { key: "OS-EXT-SRV-ATTR:launch_index", ext: true, min: "2.3", admin: true, value: (i) => i.launchIndex },
  { key: "OS-EXT-SRV-ATTR:kernel_id", ext: true, min: "2.3", admin: true, value: () => "" },
  { key: "OS-EXT-SRV-ATTR:ramdisk_id", ext: true, min: "2.3", admin: true, value: () => "" },
  {
    key: "OS-EXT-SRV-ATTR:hostname",
    ext: true,
    min: "2.3",
    max: "2.89",
    admin: true,
    value: (i) => i.hostname,
  },
  { key: "OS-EXT-SRV-ATTR:hostname", ext: true, min: "2.90", value: (i) => i.hostname },
  {
    key: "OS-EXT-SRV-ATTR:root_device_name",
    ext: true,
    min: "2.3",
    admin: true,
    value: (i) => i.rootDeviceName,
  },
  {
    key: "OS-EXT-SRV-ATTR:user_data",
    ext: true,
    min: "2.3",
    admin: true,
    not: ["rebuild"],
    value: (i) => i.userData,
  },
  { key: "locked", min: "2.9", value: (i) => i.locked },
  {
    key: "host_status",
    ext: true,
    min: SINCE.hostStatus,
    admin: true,
    value: (i, v) => (i.host ? (v.hostStatuses?.get(i.host) ?? "") : ""),
  },
  { key: "description", min: SINCE.description, value: (i) => i.description },
  { key: "tags", min: "2.26", value: (i) => i.tags },
  { key: "trusted_image_certificates", min: "2.63", value: (i) => i.trustedCerts },
  { key: "server_groups", min: "2.71", single: true, value: (i) => i.serverGroups ?? [] },
  { key: "locked_reason", min: "2.73", value: (i) => i.lockedReason },
  { key: "pinned_availability_zone", min: "2.96", value: (i) => i.pinnedAvailabilityZone },
  { key: "scheduler_hints", min: "2.100", value: schedulerHints },
  { key: "key_name", min: "2.54", only: ["rebuild"], value: (i) => i.keyName },
  { key: "user_data", min: "2.57", only: ["rebuild"], value: (i) => i.userData },
];

/** The full server view (show, detail, update and rebuild responses) at the request's microversion. */
export function serverView(instance: Instance, v: ViewContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of FIELDS) {
    if (!v.version.within(field.min, field.max) && !(v.version.isLegacyV2 && !field.min)) continue;
    if (field.admin && !v.auth.isAdmin) continue;
    if (field.single && v.kind === "detail") continue;
    if (field.ext && basic(v)) continue;
    if (field.only && !field.only.includes(v.kind)) continue;
    if (field.not?.includes(v.kind)) continue;
    out[field.key] = field.value(instance, v);
  }
  // nova shows security_groups only when the server's ports have some
  if (instance.securityGroups.length === 0) delete out.security_groups;
  if (!PROGRESS_STATUSES.has(out.status as string)) delete out.progress;
  else out.progress = instance.progress;
  if (instance.fault && (out.status === "ERROR" || out.status === "DELETED")) {
    const fault: Record<string, unknown> = {
      code: instance.fault.code,
      created: isoSeconds(instance.fault.created),
      message: instance.fault.message,
    };
    if (instance.fault.details && (v.auth.isAdmin || instance.fault.code !== 500))
      fault.details = instance.fault.details;
    out.fault = fault;
  }
  return out;
}

/** The short view of `GET /servers`. */
export function serverSummary(instance: Instance, links: Links) {
  return { id: instance.uuid, name: instance.name, links: links.pair("servers", instance.uuid) };
}
