import type { InstanceFaultRow, InstanceRow } from "./schema.js";

/** The flavor as it was when embedded in a server (nova keeps a copy per instance). */
export interface FlavorSnapshot {
  flavorid: string;
  name: string;
  vcpus: number;
  memory_mb: number;
  root_gb: number;
  ephemeral_gb: number;
  swap: number;
  extra_specs: Record<string, string>;
}

export interface InstanceAddress {
  network: string;
  address: string;
  mac: string;
  version: 4 | 6;
  /** The Neutron port that holds it (a floating one: the port it is associated with). */
  portId: string;
  /** nova's OS-EXT-IPS:type: the port's own address, or a floating IP mapped to it. */
  type: "fixed" | "floating";
}

export interface InstanceFault {
  code: number;
  message: string;
  details: string | null;
  created: string;
}

/** A server as the store reads it for the services: the row with its JSON columns parsed and its parts attached. */
export interface Instance {
  uuid: string;
  projectId: string;
  userId: string;
  name: string;
  description: string | null;
  hostname: string;
  imageRef: string;
  imageProperties: Record<string, unknown>;
  flavor: FlavorSnapshot;
  oldFlavor: FlavorSnapshot | null;
  newFlavor: FlavorSnapshot | null;
  vmState: string;
  taskState: string | null;
  powerState: number;
  host: string | null;
  node: string | null;
  availabilityZone: string | null;
  pinnedAvailabilityZone: string | null;
  keyName: string | null;
  keyData: string | null;
  userData: string | null;
  accessIPv4: string | null;
  accessIPv6: string | null;
  reservationId: string;
  launchIndex: number;
  configDrive: string;
  /** OS-DCF:diskConfig AUTO (true) or MANUAL. */
  autoDiskConfig: boolean;
  locked: boolean;
  lockedBy: string | null;
  lockedReason: string | null;
  progress: number;
  rootDeviceName: string | null;
  trustedCerts: string[] | null;
  schedulerHints: Record<string, unknown>;
  /** The names of its ports' security groups (once per port), as nova reads them from Neutron. */
  securityGroups: string[];
  createdAt: string;
  updatedAt: string;
  launchedAt: string | null;
  terminatedAt: string | null;
  deletedAt: string | null;
  deleted: boolean;
  metadata: Record<string, string>;
  tags: string[];
  fault: InstanceFault | null;
  addresses: InstanceAddress[];
  /**
   * Ids of the server groups it is in: read for a single server only (nova shows them in a
   * server's own view from 2.71, never in lists), undefined where a list loaded it.
   */
  serverGroups?: string[];
}

export interface InstanceParts {
  metadata: Record<string, string>;
  tags: string[];
  fault: InstanceFaultRow | undefined;
  addresses: InstanceAddress[];
  securityGroups: string[];
}

export function toInstance(row: InstanceRow, parts: InstanceParts): Instance {
  return {
    uuid: row.uuid,
    projectId: row.project_id,
    userId: row.user_id,
    name: row.display_name,
    description: row.display_description,
    hostname: row.hostname,
    imageRef: row.image_ref,
    imageProperties: JSON.parse(row.image_properties),
    flavor: JSON.parse(row.flavor),
    oldFlavor: row.old_flavor ? JSON.parse(row.old_flavor) : null,
    newFlavor: row.new_flavor ? JSON.parse(row.new_flavor) : null,
    vmState: row.vm_state,
    taskState: row.task_state,
    powerState: row.power_state,
    host: row.host,
    node: row.node,
    availabilityZone: row.availability_zone,
    pinnedAvailabilityZone: row.pinned_availability_zone,
    keyName: row.key_name,
    keyData: row.key_data,
    userData: row.user_data,
    accessIPv4: row.access_ip_v4,
    accessIPv6: row.access_ip_v6,
    reservationId: row.reservation_id,
    launchIndex: row.launch_index,
    configDrive: row.config_drive,
    autoDiskConfig: row.auto_disk_config === 1,
    locked: row.locked === 1,
    lockedBy: row.locked_by,
    lockedReason: row.locked_reason,
    progress: row.progress,
    rootDeviceName: row.root_device_name,
    trustedCerts: row.trusted_certs ? JSON.parse(row.trusted_certs) : null,
    schedulerHints: JSON.parse(row.scheduler_hints),
    securityGroups: parts.securityGroups,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    launchedAt: row.launched_at,
    terminatedAt: row.terminated_at,
    deletedAt: row.deleted_at,
    deleted: row.deleted === 1,
    metadata: parts.metadata,
    tags: parts.tags,
    fault: parts.fault
      ? {
          code: parts.fault.code,
          message: parts.fault.message,
          details: parts.fault.details,
          created: parts.fault.created_at,
        }
      : null,
    addresses: parts.addresses,
  };
}
