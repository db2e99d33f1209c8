import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";

/** Table types for Kysely. Mirrors migrations/; booleans are 0/1, JSON columns are text. */
export interface Database {
  projects: ProjectTable;
  users: UserTable;
  roles: RoleTable;
  role_assignments: RoleAssignmentTable;
  tokens: TokenTable;
  flavors: FlavorTable;
  flavor_extra_specs: { flavorid: string; key: string; value: string };
  flavor_projects: { flavorid: string; project_id: string };
  keypairs: KeypairTable;
  images: ImageTable;
  instances: InstanceTable;
  instance_metadata: { instance_uuid: string; key: string; value: string };
  instance_tags: { instance_uuid: string; tag: string };
  instance_faults: InstanceFaultTable;
  instance_ports: InstancePortTable;
  instance_actions: InstanceActionTable;
  instance_action_events: InstanceActionEventTable;
  tasks: TaskTable;
  quotas: { project_id: string; resource: string; hard_limit: number };
  project_user_quotas: { project_id: string; user_id: string; resource: string; hard_limit: number };
  quota_locks: { project_id: string; version: Generated<number> };
  services: ServiceTable;
  compute_nodes: ComputeNodeTable;
  server_groups: ServerGroupTable;
  server_group_members: { group_uuid: string; instance_uuid: string; created_at: string };
  aggregates: AggregateTable;
  aggregate_hosts: { id: Generated<number>; aggregate_id: number; host: string };
  aggregate_metadata: { aggregate_id: number; key: string; value: string };
  quota_classes: { class_name: string; resource: string; hard_limit: number };
  migrations: MigrationTable;
  user_auth_failures: UserAuthFailureTable;
  networks: NetworkTable;
  subnets: SubnetTable;
  ports: PortTable;
  port_ip_allocations: { port_id: string; subnet_id: string; ip_address: string };
  network_tags: { resource_id: string; tag: string };
  security_groups: SecurityGroupTable;
  default_security_groups: { project_id: string; security_group_id: string };
  security_group_rules: SecurityGroupRuleTable;
  port_security_groups: { port_id: string; security_group_id: string };
  routers: RouterTable;
  router_ports: { port_id: string; router_id: string; port_type: string };
  floatingips: FloatingIpTable;
  network_quotas: { project_id: string; resource: string; quota_limit: number };
  auto_allocated_topologies: AutoAllocatedTopologyTable;
  console_auth_tokens: ConsoleAuthTokenTable;
  resource_providers: ResourceProviderTable;
  inventories: InventoryTable;
  allocations: AllocationTable;
}

export interface ProjectTable {
  id: string;
  name: string;
  domain_id: string;
  description: Generated<string>;
  enabled: Generated<number>;
  created_at: string;
}
export type Project = Selectable<ProjectTable>;

export interface UserTable {
  id: string;
  name: string;
  domain_id: string;
  password_hash: string | null;
  email: string | null;
  description: string | null;
  default_project_id: string | null;
  enabled: Generated<number>;
  created_at: string;
}
export type User = Selectable<UserTable>;

export interface RoleTable {
  id: string;
  name: string;
}
export type Role = Selectable<RoleTable>;

export interface RoleAssignmentTable {
  project_id: string;
  user_id: string;
  role_id: string;
}

export interface TokenTable {
  id_hash: string;
  user_id: string;
  project_id: string | null;
  methods: string;
  audit_id: string;
  issued_at: string;
  expires_at: string;
  revoked: Generated<number>;
}
export type TokenRow = Selectable<TokenTable>;

export interface FlavorTable {
  flavorid: string;
  name: string;
  vcpus: number;
  memory_mb: number;
  root_gb: number;
  ephemeral_gb: Generated<number>;
  swap: Generated<number>;
  rxtx_factor: Generated<number>;
  is_public: Generated<number>;
  disabled: Generated<number>;
  description: string | null;
  created_at: string;
  updated_at: string | null;
}
export type FlavorRow = Selectable<FlavorTable>;
export type NewFlavorRow = Insertable<FlavorTable>;

export interface KeypairTable {
  /** nova's integer keypair id (0004), filled on insert. */
  id: number | null;
  user_id: string;
  name: string;
  project_id: string;
  type: string;
  public_key: string;
  fingerprint: string;
  created_at: string;
}
export type KeypairRow = Selectable<KeypairTable>;

export interface ImageTable {
  id: string;
  name: string | null;
  status: string;
  visibility: string;
  owner: string | null;
  container_format: string | null;
  disk_format: string | null;
  size: number | null;
  virtual_size: number | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  min_disk: Generated<number>;
  min_ram: Generated<number>;
  protected: Generated<number>;
  tags: Generated<string>;
  properties: Generated<string>;
  /** Glance's os_hidden (0003). */
  os_hidden: Generated<number>;
  created_at: string;
  updated_at: string;
}
export type ImageRow = Selectable<ImageTable>;
export type ImageUpdate = Updateable<ImageTable>;

export interface InstanceTable {
  uuid: string;
  project_id: string;
  user_id: string;
  display_name: string;
  display_description: string | null;
  hostname: string;
  image_ref: Generated<string>;
  /** The boot image's properties when the server was created (nova's image_* system metadata). */
  image_properties: Generated<string>;
  /** The flavor's id, for filtering; the flavor itself is embedded as JSON (store/instance-record.ts). */
  flavor_id: string;
  flavor: string;
  old_flavor: string | null;
  new_flavor: string | null;
  vcpus: number;
  memory_mb: number;
  vm_state: string;
  task_state: string | null;
  power_state: Generated<number>;
  host: string | null;
  node: string | null;
  availability_zone: string | null;
  pinned_availability_zone: string | null;
  key_name: string | null;
  key_data: string | null;
  user_data: string | null;
  access_ip_v4: string | null;
  access_ip_v6: string | null;
  reservation_id: string;
  launch_index: Generated<number>;
  config_drive: Generated<string>;
  /** OS-DCF:diskConfig: 1 AUTO, 0 MANUAL. */
  auto_disk_config: Generated<number>;
  locked: Generated<number>;
  locked_by: string | null;
  locked_reason: string | null;
  progress: Generated<number>;
  root_device_name: string | null;
  trusted_certs: string | null;
  scheduler_hints: Generated<string>;
  security_groups: Generated<string>;
  block_device_mapping: Generated<string>;
  networks: Generated<string>;
  /** The encrypted admin password a guest posted for os-server-password (nova's password_* system metadata). */
  admin_pass: string | null;
  /** The snapshot a shelved server is restored from (0007; nova's shelved_image_id system metadata). */
  shelved_image_id: string | null;
  created_at: string;
  updated_at: string;
  launched_at: string | null;
  terminated_at: string | null;
  deleted_at: string | null;
  deleted: Generated<number>;
}
export type InstanceRow = Selectable<InstanceTable>;
export type NewInstanceRow = Insertable<InstanceTable>;
export type InstanceUpdate = Updateable<InstanceTable>;

export interface InstanceFaultTable {
  instance_uuid: string;
  code: number;
  message: string;
  details: string | null;
  created_at: string;
}
export type InstanceFaultRow = Selectable<InstanceFaultTable>;

/** A port a server has: nova's network info cache, in NIC order (see migration 0014). */
export interface InstancePortTable {
  port_id: string;
  instance_uuid: string;
  /** 1: the user brought it, so deleting the server only unbinds it. */
  preserve_on_delete: number;
  tag: string | null;
  position: number;
  /** 1 once the build plugged it in; a server shows only plugged ports' addresses. */
  plugged: number;
}

export interface InstanceActionTable {
  id: Generated<number>;
  request_id: string;
  instance_uuid: string;
  action: string;
  project_id: string;
  user_id: string;
  message: string | null;
  start_time: string;
  finish_time: string | null;
  updated_at: string;
}
export type InstanceActionRow = Selectable<InstanceActionTable>;

export interface InstanceActionEventTable {
  id: Generated<number>;
  action_id: number;
  event: string;
  start_time: string;
  finish_time: string | null;
  result: string | null;
  traceback: string | null;
  host: string | null;
  details: string | null;
}
export type InstanceActionEventRow = Selectable<InstanceActionEventTable>;

/** A server group (0005): nova's instance group with its one policy and its rules (JSON). */
export interface ServerGroupTable {
  uuid: string;
  name: string;
  project_id: string;
  user_id: string;
  policy: string;
  rules: Generated<string>;
  created_at: string;
}
export type ServerGroupRow = Selectable<ServerGroupTable>;

export interface TaskTable {
  id: string;
  kind: string;
  instance_uuid: string | null;
  action_id: number | null;
  host: string | null;
  state: string;
  step: Generated<number>;
  attempts: Generated<number>;
  payload: Generated<string>;
  lease_owner: string | null;
  lease_expires_at: string | null;
  run_after: string;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}
export type TaskRow = Selectable<TaskTable>;

/** A nova service (0006): nova-conductor, nova-scheduler or nova-compute on one host. */
export interface ServiceTable {
  id: Generated<number>;
  uuid: string;
  host: string;
  binary: string;
  disabled: Generated<number>;
  disabled_reason: string | null;
  forced_down: Generated<number>;
  report_count: Generated<number>;
  /** The last heartbeat: the service is up while it is recent. */
  last_seen_up: string | null;
  created_at: string;
  updated_at: string | null;
  deleted_at: string | null;
}
export type ServiceRow = Selectable<ServiceTable>;

/** A hypervisor (0006) and the capacity its driver reported; usage is counted from the servers on it. */
export interface ComputeNodeTable {
  id: Generated<number>;
  uuid: string;
  host: string;
  hypervisor_hostname: string;
  hypervisor_type: string;
  hypervisor_version: number;
  vcpus: number;
  memory_mb: number;
  local_gb: number;
  /** The driver's CPU description, JSON. */
  cpu_info: string;
  host_ip: string | null;
  created_at: string;
  updated_at: string | null;
}
export type ComputeNodeRow = Selectable<ComputeNodeTable>;

/** A host aggregate (0008): nova's integer id and uuid, a unique name. */
export interface AggregateTable {
  id: Generated<number>;
  uuid: string;
  name: string;
  created_at: string;
  updated_at: string | null;
}
export type AggregateRow = Selectable<AggregateTable>;

/** A server's move (0009): nova's migration record, its status walk and who asked for it. */
export interface MigrationTable {
  id: Generated<number>;
  uuid: string;
  instance_uuid: string;
  /** "migration" (cold), "resize", "live-migration" or "evacuation". */
  migration_type: string;
  status: string;
  source_compute: string | null;
  source_node: string | null;
  dest_compute: string | null;
  dest_node: string | null;
  /** The destination host's IP address. */
  dest_host: string | null;
  old_flavor_id: string | null;
  new_flavor_id: string | null;
  user_id: string;
  project_id: string;
  created_at: string;
  updated_at: string | null;
  /** A live migration's copy so far, in bytes (0022); null before it starts. PostgreSQL answers bigints as text. */
  memory_total: ColumnType<number | string | null, number | null | undefined, number | null>;
  memory_processed: ColumnType<number | string | null, number | null | undefined, number | null>;
  memory_remaining: ColumnType<number | string | null, number | null | undefined, number | null>;
  disk_total: ColumnType<number | string | null, number | null | undefined, number | null>;
  disk_processed: ColumnType<number | string | null, number | null | undefined, number | null>;
  disk_remaining: ColumnType<number | string | null, number | null | undefined, number | null>;
}
export type MigrationRow = Selectable<MigrationTable>;
export type MigrationUpdate = Updateable<MigrationTable>;

/** A user's consecutive failed password authentications (0010), for Keystone's lockout. */
export interface UserAuthFailureTable {
  user_id: string;
  failure_count: number;
  last_failure_at: string;
}
export type UserAuthFailureRow = Selectable<UserAuthFailureTable>;

/** A Neutron network (0011). Booleans 0/1; availability_zone_hints a JSON array. */
export interface NetworkTable {
  id: string;
  project_id: string;
  name: string;
  description: string;
  admin_state_up: number;
  shared: number;
  external: number;
  mtu: number;
  status: string;
  availability_zone_hints: string;
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
  revision_number: number;
  created_at: string;
  updated_at: string;
}
export type NetworkRow = Selectable<NetworkTable>;

/** A Neutron subnet (0011). allocation_pools, dns_nameservers and host_routes are JSON arrays. */
export interface SubnetTable {
  id: string;
  network_id: string;
  project_id: string;
  name: string;
  description: string;
  ip_version: number;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp: number;
  ipv6_ra_mode: string | null;
  ipv6_address_mode: string | null;
  allocation_pools: string;
  dns_nameservers: string;
  host_routes: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}
export type SubnetRow = Selectable<SubnetTable>;

/** A Neutron port (0011); its addresses are rows of port_ip_allocations. */
export interface PortTable {
  id: string;
  network_id: string;
  project_id: string;
  name: string;
  description: string;
  mac_address: string;
  admin_state_up: number;
  status: string;
  device_id: string;
  device_owner: string;
  port_security_enabled: number;
  allowed_address_pairs: string;
  binding_host_id: string;
  binding_vnic_type: string;
  binding_vif_type: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}
export type PortRow = Selectable<PortTable>;

/** A Neutron security group (0012); a project's default one is named in default_security_groups. */
export interface SecurityGroupTable {
  id: string;
  project_id: string;
  name: string;
  description: string;
  stateful: number;
  revision_number: number;
  created_at: string;
  updated_at: string;
}
export type SecurityGroupRow = Selectable<SecurityGroupTable>;

/** A rule of a security group (0012): NULL protocol, ports and remotes mean any. */
export interface SecurityGroupRuleTable {
  id: string;
  security_group_id: string;
  project_id: string;
  direction: string;
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  remote_address_group_id: string | null;
  description: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}
export type SecurityGroupRuleRow = Selectable<SecurityGroupRuleTable>;

/** A Neutron router (0013); its interfaces are rows of router_ports, routes a JSON array. */
export interface RouterTable {
  id: string;
  project_id: string;
  name: string;
  description: string;
  admin_state_up: number;
  status: string;
  gw_port_id: string | null;
  enable_snat: number;
  routes: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}
export type RouterRow = Selectable<RouterTable>;

/** A Neutron floating IP (0013): associated while fixed_port_id is set. */
export interface FloatingIpTable {
  id: string;
  project_id: string;
  description: string;
  floating_ip_address: string;
  floating_network_id: string;
  floating_port_id: string;
  fixed_port_id: string | null;
  fixed_ip_address: string | null;
  router_id: string | null;
  status: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}
export type FloatingIpRow = Selectable<FloatingIpTable>;

export interface AutoAllocatedTopologyTable {
  project_id: string;
  /** The private range of the project's subnet, claimed before the topology is built. */
  cidr: string;
  /** NULL until the topology is built. */
  network_id: string | null;
  router_id: string | null;
}
export type AutoAllocatedTopologyRow = Selectable<AutoAllocatedTopologyTable>;

export interface ConsoleAuthTokenTable {
  /** SHA-256 (hex) of the token; the token itself is only ever in the console URL. */
  token_hash: string;
  instance_uuid: string;
  console_type: string;
  host: string;
  port: number;
  internal_access_path: string | null;
  expires_at: string;
  created_at: string;
}
export type ConsoleAuthTokenRow = Selectable<ConsoleAuthTokenTable>;

/** A placement resource provider (0020): one per compute node, its uuid the node's. */
export interface ResourceProviderTable {
  id: Generated<number>;
  uuid: string;
  name: string;
  /** Bumped by every claim against the provider, which serialises them. */
  generation: Generated<number>;
  created_at: string;
  updated_at: string | null;
  /** What is left of its MEMORY_MB (0021), kept by every claim and release: the RAM weigher's key. */
  free_memory_mb: Generated<number>;
}

export type ResourceProviderRow = Selectable<ResourceProviderTable>;

/** How much of a resource class a provider has: (total - reserved) x allocation_ratio may be used. */
export interface InventoryTable {
  resource_provider_id: number;
  resource_class: string;
  total: number;
  reserved: number;
  min_unit: number;
  max_unit: number;
  step_size: number;
  allocation_ratio: number;
  /** (total - reserved) x allocation_ratio, rounded down (0021). */
  capacity: Generated<number>;
  /** What the provider's allocations of the class sum to (0021), kept by every claim and release. */
  used: Generated<number>;
}

export type InventoryRow = Selectable<InventoryTable>;

/** What a consumer (a server, or a migration during a move) holds of a provider's class. */
export interface AllocationTable {
  id: Generated<number>;
  resource_provider_id: number;
  consumer_id: string;
  resource_class: string;
  used: number;
  created_at: string;
}
