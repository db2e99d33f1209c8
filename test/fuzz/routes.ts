/**
 * Every route nimbus serves, with a valid request for it: the fuzzer's starting points.
 * Paths name the kind of id they hold (`{server}`), filled from the fixtures; a body is
 * built for the microversion the request asks for (`minor`: 2.<minor>, 0 for /v2).
 * Writes that could destroy the callers themselves (their users, projects, roles and
 * tokens) name the spare kinds instead.
 */
import type { Api } from "./fault-formats.js";
import type { Fixtures } from "./target.js";

export interface RouteTemplate {
  readonly api: Api;
  readonly method: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Under the API's root (`/compute/v2.1`, `/identity`, `/image`), with `{kind}` placeholders. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: (fx: Fixtures, minor: number) => unknown;
  /** The media type of a valid body, when it is not application/json. */
  readonly contentType?: string;
  /** Extra headers of a valid request. */
  readonly headers?: (fx: Fixtures) => Record<string, string>;
}

const compute = (
  method: RouteTemplate["method"],
  path: string,
  extra: Omit<RouteTemplate, "api" | "method" | "path"> = {},
): RouteTemplate => ({ api: "compute", method, path, ...extra });

const flavorOf = (fx: Fixtures) => fx.ids.flavor[1] ?? fx.ids.flavor[0]!;
const imageOf = (fx: Fixtures) => fx.ids.image[0]!;

/** `POST /servers/{server}/action`: each action's valid body. */
const SERVER_ACTIONS: Record<string, (fx: Fixtures, minor: number) => unknown> = {
  reboot: () => ({ type: "SOFT" }),
  "os-start": () => null,
  "os-stop": () => null,
  pause: () => null,
  unpause: () => null,
  suspend: () => null,
  resume: () => null,
  resize: (fx) => ({ flavorRef: flavorOf(fx) }),
  confirmResize: () => null,
  revertResize: () => null,
  rebuild: (fx) => ({ imageRef: imageOf(fx), name: "rebuilt" }),
  createImage: () => ({ name: "fuzz-snapshot", metadata: { purpose: "fuzz" } }),
  lock: (_fx, minor) => (minor >= 73 ? { locked_reason: "fuzz" } : null),
  unlock: () => null,
  "os-getConsoleOutput": () => ({ length: 10 }),
  "os-resetState": () => ({ state: "active" }),
  trigger_crash_dump: () => null,
  shelve: () => null,
  shelveOffload: () => null,
  unshelve: () => null,
  rescue: () => ({ adminPass: "rescue-secret" }),
  unrescue: () => null,
  changePassword: () => ({ adminPass: "new-secret" }),
  createBackup: () => ({ name: "fuzz-backup", backup_type: "daily", rotation: 1 }),
  migrate: () => null,
  "os-migrateLive": (_fx, minor) =>
    minor >= 25
      ? { host: null, block_migration: "auto" }
      : { host: null, block_migration: false, disk_over_commit: false },
  resetNetwork: () => null,
};

const serverBody = (fx: Fixtures, minor: number) => ({
  server: {
    name: "fuzz-server",
    flavorRef: fx.ids.flavor.at(-1),
    imageRef: imageOf(fx),
    metadata: { role: "fuzz" },
    ...(minor >= 37 ? { networks: "none" } : {}),
  },
});

const COMPUTE_ROUTES: RouteTemplate[] = [
  compute("GET", ""),
  compute("GET", "/"),
  compute("GET", "/versions/{version}"),
  compute("GET", "/servers", { query: { name: "fuzz", limit: "2", sort_key: "display_name" } }),
  compute("GET", "/servers/detail", { query: { status: "ACTIVE", "changes-since": "2020-01-01T00:00:00Z" } }),
  // the lists with filters take the most varied input: name and ip are regular expressions
  compute("GET", "/servers", { query: { ip: "10.", image: "x", flavor: "1", tags: "tag1" } }),
  compute("GET", "/servers/detail", { query: { name: "^fuzz-[0-9]$", sort_dir: "desc", marker: "x" } }),
  compute("GET", "/servers/detail", { query: { all_tenants: "1", project_id: "x", deleted: "false" } }),
  compute("GET", "/servers/{server}"),
  compute("POST", "/servers", { body: serverBody }),
  compute("PUT", "/servers/{server}", { body: () => ({ server: { name: "renamed" } }) }),
  compute("DELETE", "/servers/{server}"),
  ...Object.entries(SERVER_ACTIONS).map(([name, body]) =>
    compute("POST", "/servers/{server}/action", { body: (fx, minor) => ({ [name]: body(fx, minor) }) }),
  ),
  compute("GET", "/servers/{server}/ips"),
  compute("GET", "/servers/{server}/ips/{network}"),
  compute("GET", "/servers/{server}/metadata"),
  compute("POST", "/servers/{server}/metadata", { body: () => ({ metadata: { key2: "value2" } }) }),
  compute("PUT", "/servers/{server}/metadata", { body: () => ({ metadata: { key1: "value1" } }) }),
  compute("GET", "/servers/{server}/metadata/{metadataKey}"),
  compute("PUT", "/servers/{server}/metadata/{metadataKey}", { body: () => ({ meta: { key1: "value1" } }) }),
  compute("DELETE", "/servers/{server}/metadata/{metadataKey}"),
  compute("GET", "/servers/{server}/tags"),
  compute("PUT", "/servers/{server}/tags", { body: () => ({ tags: ["tag1", "tag2"] }) }),
  compute("DELETE", "/servers/{server}/tags"),
  compute("GET", "/servers/{server}/tags/{tag}"),
  compute("PUT", "/servers/{server}/tags/{tag}"),
  compute("DELETE", "/servers/{server}/tags/{tag}"),
  compute("GET", "/servers/{server}/os-instance-actions", { query: { limit: "1" } }),
  compute("GET", "/servers/{server}/os-instance-actions/{requestId}"),
  compute("GET", "/servers/{server}/os-server-password"),
  compute("DELETE", "/servers/{server}/os-server-password"),
  compute("GET", "/servers/{server}/migrations"),
  compute("GET", "/servers/{server}/migrations/{migration}"),
  compute("DELETE", "/servers/{server}/migrations/{migration}"),
  compute("POST", "/servers/{server}/migrations/{migration}/action", {
    body: () => ({ force_complete: null }),
  }),
  compute("GET", "/servers/{server}/diagnostics"),
  compute("GET", "/servers/{server}/topology"),
  compute("GET", "/flavors", { query: { minRam: "64", is_public: "None", sort_key: "memory_mb" } }),
  compute("GET", "/flavors/detail", { query: { minDisk: "0", limit: "3" } }),
  compute("GET", "/flavors/{flavor}"),
  compute("POST", "/flavors", {
    body: () => ({
      flavor: { name: "fuzz-made", ram: 128, vcpus: 1, disk: 1, "os-flavor-access:is_public": false },
    }),
  }),
  compute("PUT", "/flavors/{flavor}", { body: () => ({ flavor: { description: "fuzzed" } }) }),
  compute("DELETE", "/flavors/{flavor}"),
  compute("GET", "/flavors/{flavor}/os-flavor-access"),
  compute("POST", "/flavors/{flavor}/action", {
    body: (fx) => ({ addTenantAccess: { tenant: fx.member.projectId } }),
  }),
  compute("POST", "/flavors/{flavor}/action", {
    body: (fx) => ({ removeTenantAccess: { tenant: fx.member.projectId } }),
  }),
  compute("GET", "/flavors/{flavor}/os-extra_specs"),
  compute("POST", "/flavors/{flavor}/os-extra_specs", {
    body: () => ({ extra_specs: { "hw:numa_nodes": "1" } }),
  }),
  compute("GET", "/flavors/{flavor}/os-extra_specs/{extraSpec}"),
  compute("PUT", "/flavors/{flavor}/os-extra_specs/{extraSpec}", {
    body: () => ({ "hw:cpu_policy": "dedicated" }),
  }),
  compute("DELETE", "/flavors/{flavor}/os-extra_specs/{extraSpec}"),
  compute("GET", "/os-keypairs", { query: { limit: "1" } }),
  compute("POST", "/os-keypairs", {
    body: (_fx, minor) => ({
      keypair: {
        name: "fuzz-made-key",
        ...(minor >= 2 ? { type: "ssh" } : {}),
        ...(minor >= 92
          ? {
              public_key:
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPGnEJOFuzzKeyOnlyForTestsxxxxxxxxxxxxxxxxxx fuzz",
            }
          : {}),
      },
    }),
  }),
  compute("GET", "/os-keypairs/{keypair}"),
  compute("DELETE", "/os-keypairs/{keypair}"),
  compute("GET", "/os-server-groups", { query: { all_projects: "True", limit: "5", offset: "0" } }),
  compute("POST", "/os-server-groups", {
    body: (_fx, minor) => ({
      server_group:
        minor >= 64
          ? { name: "fuzz-made", policy: "anti-affinity" }
          : { name: "fuzz-made", policies: ["anti-affinity"] },
    }),
  }),
  compute("GET", "/os-server-groups/{serverGroup}"),
  compute("DELETE", "/os-server-groups/{serverGroup}"),
  compute("GET", "/os-quota-sets/{project}", { query: { user_id: "x" } }),
  compute("GET", "/os-quota-sets/{project}/detail"),
  compute("GET", "/os-quota-sets/{project}/defaults"),
  compute("PUT", "/os-quota-sets/{project}", { body: () => ({ quota_set: { instances: 20, cores: 40 } }) }),
  compute("DELETE", "/os-quota-sets/{project}"),
  compute("GET", "/os-quota-class-sets/{project}"),
  compute("PUT", "/os-quota-class-sets/{project}", { body: () => ({ quota_class_set: { instances: 20 } }) }),
  compute("GET", "/limits", { query: { tenant_id: "x" } }),
  compute("GET", "/os-availability-zone"),
  compute("GET", "/os-availability-zone/detail"),
  compute("GET", "/os-hypervisors", { query: { hypervisor_hostname_pattern: "fake", with_servers: "true" } }),
  compute("GET", "/os-hypervisors/detail", { query: { limit: "1" } }),
  compute("GET", "/os-hypervisors/statistics"),
  compute("GET", "/os-hypervisors/{hypervisor}"),
  compute("GET", "/os-hypervisors/{hypervisor}/uptime"),
  compute("GET", "/os-hypervisors/{host}/search"),
  compute("GET", "/os-hypervisors/{host}/servers"),
  compute("GET", "/os-services", { query: { binary: "nova-compute" } }),
  compute("PUT", "/os-services/{service}", { body: () => ({ status: "enabled" }) }),
  compute("PUT", "/os-services/enable", { body: (fx) => ({ host: fx.ids.host[0], binary: "nova-compute" }) }),
  compute("DELETE", "/os-services/{service}"),
  compute("GET", "/os-simple-tenant-usage", { query: { start: "2020-01-01T00:00:00", detailed: "1" } }),
  compute("GET", "/os-simple-tenant-usage/{project}", { query: { end: "2099-01-01T00:00:00" } }),
  compute("GET", "/os-aggregates"),
  compute("POST", "/os-aggregates", {
    body: () => ({ aggregate: { name: "fuzz-made", availability_zone: "fuzz-az" } }),
  }),
  compute("GET", "/os-aggregates/{aggregate}"),
  compute("PUT", "/os-aggregates/{aggregate}", { body: () => ({ aggregate: { name: "fuzz-renamed" } }) }),
  compute("DELETE", "/os-aggregates/{aggregate}"),
  compute("POST", "/os-aggregates/{aggregate}/action", {
    body: (fx) => ({ add_host: { host: fx.ids.host[0] } }),
  }),
  compute("POST", "/os-aggregates/{aggregate}/action", {
    body: (fx) => ({ remove_host: { host: fx.ids.host[0] } }),
  }),
  compute("POST", "/os-aggregates/{aggregate}/action", {
    body: () => ({ set_metadata: { metadata: { ssd: "true" } } }),
  }),
  compute("POST", "/os-aggregates/{aggregate}/images", { body: (fx) => ({ cache: [{ id: imageOf(fx) }] }) }),
  compute("GET", "/os-hosts", { query: { zone: "nova" } }),
  compute("GET", "/os-hosts/{host}"),
  compute("PUT", "/os-hosts/{host}", { body: () => ({ status: "enable" }) }),
  compute("GET", "/os-hosts/{host}/reboot"),
  compute("GET", "/os-hosts/{host}/startup"),
  compute("GET", "/os-migrations", { query: { status: "finished", migration_type: "resize" } }),
  compute("POST", "/os-server-external-events", {
    body: (fx) => ({ events: [{ name: "network-changed", server_uuid: fx.ids.server[0], tag: "x" }] }),
  }),
  compute("GET", "/os-instance_usage_audit_log"),
  compute("GET", "/os-instance_usage_audit_log/{auditPeriod}"),
];

const identity = (
  method: RouteTemplate["method"],
  path: string,
  extra: Omit<RouteTemplate, "api" | "method" | "path"> = {},
): RouteTemplate => ({ api: "identity", method, path, ...extra });

const IDENTITY_ROUTES: RouteTemplate[] = [
  identity("GET", "/"),
  identity("GET", "/v3"),
  identity("POST", "/v3/auth/tokens", {
    body: () => ({
      auth: {
        identity: {
          methods: ["password"],
          password: { user: { name: "fuzz-reader", domain: { id: "default" }, password: "wrong-secret" } },
        },
        scope: { project: { name: "demo", domain: { name: "Default" } } },
      },
    }),
  }),
  identity("GET", "/v3/auth/tokens", { headers: (fx) => ({ "X-Subject-Token": fx.reader.token }) }),
  identity("HEAD", "/v3/auth/tokens", { headers: (fx) => ({ "X-Subject-Token": fx.member.token }) }),
  identity("DELETE", "/v3/auth/tokens", { headers: (fx) => ({ "X-Subject-Token": fx.ids.spareToken[0]! }) }),
  identity("GET", "/v3/auth/catalog"),
  identity("GET", "/v3/auth/projects"),
  identity("GET", "/v3/auth/domains"),
  identity("GET", "/v3/domains", { query: { name: "Default" } }),
  identity("GET", "/v3/domains/{domain}"),
  identity("GET", "/v3/projects", { query: { name: "demo", domain_id: "default" } }),
  identity("POST", "/v3/projects", {
    body: () => ({
      project: { name: "fuzz-made", domain_id: "default", description: "made", enabled: true },
    }),
  }),
  identity("GET", "/v3/projects/{project}"),
  identity("PATCH", "/v3/projects/{spareProject}", { body: () => ({ project: { description: "patched" } }) }),
  identity("DELETE", "/v3/projects/{spareProject}"),
  identity("GET", "/v3/users", { query: { name: "demo", enabled: "true" } }),
  identity("POST", "/v3/users", {
    body: (fx) => ({
      user: { name: "fuzz-made", password: "made-secret", default_project_id: fx.ids.spareProject[0] },
    }),
  }),
  identity("GET", "/v3/users/{user}"),
  identity("GET", "/v3/users/{user}/projects"),
  identity("PATCH", "/v3/users/{spareUser}", {
    body: () => ({ user: { description: "patched", enabled: true } }),
  }),
  identity("DELETE", "/v3/users/{spareUser}"),
  identity("GET", "/v3/roles", { query: { name: "reader" } }),
  identity("POST", "/v3/roles", { body: () => ({ role: { name: "fuzz-made" } }) }),
  identity("GET", "/v3/roles/{role}"),
  identity("DELETE", "/v3/roles/{spareRole}"),
  identity("PUT", "/v3/projects/{spareProject}/users/{spareUser}/roles/{spareRole}"),
  identity("GET", "/v3/projects/{project}/users/{user}/roles/{role}"),
  identity("HEAD", "/v3/projects/{project}/users/{user}/roles/{role}"),
  identity("DELETE", "/v3/projects/{spareProject}/users/{spareUser}/roles/{spareRole}"),
  identity("GET", "/v3/projects/{project}/users/{user}/roles"),
  identity("GET", "/v3/role_assignments", {
    query: { "scope.project.id": "x", include_names: "true", effective: "" },
  }),
  identity("GET", "/v3/services", { query: { type: "compute" } }),
  identity("GET", "/v3/services/{catalogService}"),
  identity("GET", "/v3/endpoints", { query: { interface: "public" } }),
  identity("GET", "/v3/endpoints/{endpoint}"),
  identity("GET", "/v3/regions"),
  identity("GET", "/v3/regions/{region}"),
];

const image = (
  method: RouteTemplate["method"],
  path: string,
  extra: Omit<RouteTemplate, "api" | "method" | "path"> = {},
): RouteTemplate => ({ api: "image", method, path, ...extra });

const IMAGE_ROUTES: RouteTemplate[] = [
  image("GET", "/"),
  image("GET", "/versions"),
  image("GET", "/v2/images", {
    query: { limit: "2", sort_key: "name", sort_dir: "asc", visibility: "public", size_min: "0" },
  }),
  image("GET", "/v2/images", {
    query: { sort: "name:asc,created_at:desc", created_at: "gt:2020-01-01T00:00:00Z" },
  }),
  image("POST", "/v2/images", {
    body: () => ({
      name: "fuzz-made",
      disk_format: "qcow2",
      container_format: "bare",
      min_disk: 1,
      min_ram: 64,
      visibility: "private",
      tags: ["made"],
      protected: false,
    }),
  }),
  image("GET", "/v2/images/{image}"),
  image("PATCH", "/v2/images/{image}", {
    contentType: "application/openstack-images-v2.1-json-patch",
    body: () => [
      { op: "replace", path: "/name", value: "patched" },
      { op: "add", path: "/fuzz_property", value: "x" },
    ],
  }),
  image("DELETE", "/v2/images/{image}"),
  image("PUT", "/v2/images/{image}/file", {
    contentType: "application/octet-stream",
    body: () => "fuzz image bytes",
  }),
  image("GET", "/v2/images/{image}/file"),
  image("PUT", "/v2/images/{image}/tags/{tag}"),
  image("DELETE", "/v2/images/{image}/tags/{tag}"),
  image("POST", "/v2/images/{image}/actions/deactivate"),
  image("POST", "/v2/images/{image}/actions/reactivate"),
  image("GET", "/v2/schemas/image"),
  image("GET", "/v2/schemas/images"),
];

const network = (
  method: RouteTemplate["method"],
  path: string,
  extra: Omit<RouteTemplate, "api" | "method" | "path"> = {},
): RouteTemplate => ({ api: "network", method, path, ...extra });

const NETWORK_ROUTES: RouteTemplate[] = [
  network("GET", "/"),
  network("GET", "/v2.0"),
  network("GET", "/v2.0/extensions"),
  network("GET", "/v2.0/extensions/{networkExtension}"),
  network("GET", "/v2.0/availability_zones"),
  network("GET", "/v2.0/networks", {
    query: { name: "fuzz-net", fields: "id", sort_key: "name", sort_dir: "asc", limit: "1" },
  }),
  network("GET", "/v2.0/networks", { query: { shared: "false", tags: "tag1", "not-tags-any": "x" } }),
  network("POST", "/v2.0/networks", {
    body: () => ({ network: { name: "fuzz-made", admin_state_up: true, mtu: 1400, tags: ["made"] } }),
  }),
  network("GET", "/v2.0/networks/{neutronNetwork}"),
  network("PUT", "/v2.0/networks/{neutronNetwork}", { body: () => ({ network: { description: "d" } }) }),
  network("DELETE", "/v2.0/networks/{neutronNetwork}"),
  network("GET", "/v2.0/subnets", { query: { ip_version: "4", cidr: "10.9.0.0/24", page_reverse: "true" } }),
  network("POST", "/v2.0/subnets", {
    body: (fx) => ({
      subnet: {
        network_id: fx.ids.neutronNetwork[0],
        cidr: "fd00:9::/64",
        ip_version: 6,
        ipv6_address_mode: "slaac",
        ipv6_ra_mode: "slaac",
        allocation_pools: [{ start: "fd00:9::10", end: "fd00:9::ff" }],
        dns_nameservers: ["fd00:9::1"],
      },
    }),
  }),
  network("GET", "/v2.0/subnets/{subnet}"),
  network("PUT", "/v2.0/subnets/{subnet}", {
    body: () => ({ subnet: { host_routes: [{ destination: "10.10.0.0/16", nexthop: "10.9.0.5" }] } }),
  }),
  network("DELETE", "/v2.0/subnets/{subnet}"),
  network("GET", "/v2.0/ports", { query: { fixed_ips: "ip_address=10.9.0.2", device_owner: "" } }),
  network("POST", "/v2.0/ports", {
    body: (fx) => ({
      port: {
        network_id: fx.ids.neutronNetwork[0],
        fixed_ips: [{ subnet_id: fx.ids.subnet[0], ip_address: "10.9.0.77" }],
        allowed_address_pairs: [{ ip_address: "10.9.0.200/32" }],
        device_id: "fuzz-device",
      },
    }),
  }),
  network("GET", "/v2.0/ports/{port}"),
  network("PUT", "/v2.0/ports/{port}", {
    body: () => ({ port: { name: "renamed", port_security_enabled: true } }),
    headers: () => ({ "If-Match": "revision_number=1" }),
  }),
  network("DELETE", "/v2.0/ports/{port}"),
  network("GET", "/v2.0/networks/{neutronNetwork}/tags"),
  network("PUT", "/v2.0/networks/{neutronNetwork}/tags", { body: () => ({ tags: ["tag1", "tag2"] }) }),
  network("PUT", "/v2.0/ports/{port}/tags/{tag}"),
  network("GET", "/v2.0/subnets/{subnet}/tags/{tag}"),
  network("DELETE", "/v2.0/ports/{port}/tags/{tag}"),
  network("DELETE", "/v2.0/networks/{neutronNetwork}/tags"),
  network("GET", "/v2.0/quotas/{project}"),
];

export const ROUTES: readonly RouteTemplate[] = [
  ...COMPUTE_ROUTES,
  ...IDENTITY_ROUTES,
  ...IMAGE_ROUTES,
  ...NETWORK_ROUTES,
];
