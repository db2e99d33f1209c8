/**
 * Nova's routes as nimbus serves them, with the statuses of nova's default policies
 * (the Policy column of ENDPOINTS.md, nova/policies/*.py) and of the lookups in nova's
 * handlers: a server, a private flavor and a server group are looked up within the
 * caller's project unless the caller is an admin, so another project's answers 404;
 * rules checked against a project id in the URL, or before any lookup, answer 403.
 */

import { NETWORK_ID } from "../compute-harness.js";
import { type Fixture, IMAGE_ID, TINY } from "./fixture.js";
import { byRule, type Row, type Side, type Target, uniqueName } from "./matrix.js";

const SMALL = "2";

/** A server action row: the policy is checked on the server found in the caller's project. */
function action(
  name: string,
  rule: "member" | "manager" | "admin",
  ok: number,
  body: unknown,
  options: Partial<Row> & { prep?: Array<Record<string, unknown>> } = {},
): Row {
  const { prep = [], ...rest } = options;
  return {
    api: "compute",
    method: "POST",
    path: "/servers/{server}/action",
    action: name,
    body: () => body,
    // every cell gets its own server, so that what one cell does cannot decide the next
    fresh: async (fx, side) => ({ server: await fx.server(side, ...prep) }),
    expect: byRule(rule, ok, "hidden"),
    ...rest,
  };
}

const server = (
  r: Omit<Row, "api" | "expect"> & { rule: "reader" | "member" | "manager" | "admin"; ok: number },
) => {
  const { rule, ok, ...rest } = r;
  return { api: "compute", expect: byRule(rule, ok, "hidden"), ...rest } as Row;
};

const admin = (method: Row["method"], path: string, ok: number, rest: Partial<Row> = {}): Row => ({
  api: "compute",
  method,
  path,
  ownOnly: true,
  expect: byRule("admin", ok, "denied"),
  ...rest,
});

/** The refused cells' aggregate: nova checks the policy before it looks the aggregate up. */
const anyAggregate: Row["target"] = (_seed, fx) => ({ aggregate: "1", host: fx.host });

/**
 * A row of nova's network proxies (to 2.35): the policy is checked against the caller's own
 * project, and another project's resource is one Neutron does not show the caller (404).
 */
const proxy = (method: Row["method"], path: string, rule: "any" | "reader" | "member", ok: number): Row => {
  const expect = byRule(rule, ok, "hidden");
  // the policy comes first: who it refuses is refused whatever the target
  for (const role of Object.keys(expect.own) as Array<keyof typeof expect.own>)
    if (expect.own[role] === 403) expect.foreign[role] = 403;
  return { api: "compute", method, path, version: "2.35", expect };
};

/** The id of the side's private network: the foreign project's is hidden from the own project. */
const networkOf: Row["target"] = (seed) => ({ networkId: seed.networkId });

/** A new image of the side's project with one property, `matrix` (set by an admin through Glance). */
const imageWithKey: Row["fresh"] = async (fx, side) => {
  const image = await fx.image(side);
  await fx.send({
    api: "image",
    method: "PATCH",
    path: `/images/${image}`,
    as: "admin",
    headers: { "content-type": "application/openstack-images-v2.1-json-patch" },
    body: [{ op: "add", path: "/matrix", value: "yes" }],
  });
  return { image, key: "matrix" };
};

const freshServer: Row["fresh"] = async (fx, side) => ({ server: await fx.server(side) });

const createBody = (extra: Record<string, unknown> = {}, server: Record<string, unknown> = {}) => ({
  server: { name: "matrix-vm", imageRef: IMAGE_ID, flavorRef: TINY, ...server },
  ...extra,
});

export const computeRows: Row[] = [
  // servers
  { api: "compute", method: "GET", path: "/servers", ownOnly: true, expect: byRule("reader", 200, "same") },
  {
    api: "compute",
    method: "GET",
    path: "/servers/detail",
    ownOnly: true,
    expect: byRule("reader", 200, "same"),
  },
  server({ method: "GET", path: "/servers/{server}", rule: "reader", ok: 200 }),
  {
    api: "compute",
    method: "POST",
    path: "/servers",
    ownOnly: true,
    body: () => createBody(),
    expect: byRule("member", 202, "same"),
  },
  {
    // nova finds the group of the hint within the caller's project (an admin's: anywhere)
    api: "compute",
    method: "POST",
    path: "/servers",
    variant: "group hint",
    body: (t) => createBody({ "os:scheduler_hints": { group: t.group } }),
    expect: byRule("member", 202, "same", { "foreign.member": 400 }),
  },
  {
    // compute:servers:create:requested_destination is the admin's
    api: "compute",
    method: "POST",
    path: "/servers",
    variant: "hypervisor_hostname",
    version: "2.74",
    ownOnly: true,
    target: (_seed, fx) => ({ hypervisor: fx.hypervisorHostname }),
    body: (t) => createBody({}, { hypervisor_hostname: t.hypervisor, networks: [{ uuid: NETWORK_ID }] }),
    expect: byRule("admin", 202, "same"),
  },
  server({
    method: "PUT",
    path: "/servers/{server}",
    rule: "member",
    ok: 200,
    fresh: freshServer,
    body: () => ({ server: { name: "renamed" } }),
  }),
  server({ method: "DELETE", path: "/servers/{server}", rule: "member", ok: 204, fresh: freshServer }),

  // server actions
  action("reboot", "member", 202, { type: "SOFT" }),
  action("os-stop", "member", 202, null),
  action("os-start", "member", 202, null, { prep: [{ "os-stop": null }] }),
  action("pause", "member", 202, null),
  action("unpause", "member", 202, null, { prep: [{ pause: null }] }),
  action("suspend", "member", 202, null),
  action("resume", "member", 202, null, { prep: [{ suspend: null }] }),
  action("resize", "member", 202, { flavorRef: SMALL }),
  action("confirmResize", "member", 204, null, { prep: [{ resize: { flavorRef: SMALL } }] }),
  action("revertResize", "member", 202, null, { prep: [{ resize: { flavorRef: SMALL } }] }),
  action("rebuild", "member", 202, { imageRef: IMAGE_ID }),
  action("createImage", "member", 202, { name: "matrix-snapshot" }),
  action("lock", "member", 202, null),
  action("unlock", "member", 202, null, { prep: [{ lock: null }] }),
  action("os-getConsoleOutput", "member", 200, {}),
  // the fake host offers a serial console only: vnc and spice pass the policy, then answer 400
  action("os-getSerialConsole", "member", 200, { type: "serial" }, { version: "2.5" }),
  action("os-getVNCConsole", "member", 400, { type: "novnc" }, { version: "2.5" }),
  action("os-getSPICEConsole", "member", 400, { type: "spice-html5" }, { version: "2.5" }),
  // nova answers 400 for rdp before any policy or lookup
  action(
    "os-getRDPConsole",
    "member",
    400,
    { type: "rdp-html5" },
    {
      version: "2.5",
      expect: byRule("any", 400, "same"),
    },
  ),
  action("os-resetState", "admin", 202, { state: "active" }),
  action("trigger_crash_dump", "member", 202, null, { version: "2.17" }),
  action("shelve", "member", 202, null),
  // shelving offloads at once (nova's shelved_offload_time 0), so the admin finds nothing to offload
  action("shelveOffload", "admin", 409, null, { prep: [{ shelve: null }] }),
  action("unshelve", "member", 202, null, { prep: [{ shelve: null }] }),
  {
    // os_compute_api:os-shelve:unshelve_to_host is the admin's, checked before the state
    ...action("unshelve", "admin", 202, null, { version: "2.91" }),
    variant: "host",
    body: (t: Target) => ({ host: t.host }),
    // the cells refused before the state check ask with the host as well
    target: (seed, fx) => ({ ...seed, host: fx.host }),
    fresh: async (fx, side) => ({
      server: await fx.server(side, { shelve: null }),
      host: fx.host,
    }),
  },
  action("rescue", "member", 200, {}),
  action("unrescue", "member", 202, null, { prep: [{ rescue: {} }] }),
  action("changePassword", "member", 202, { adminPass: "matrix-password" }),
  action("createBackup", "member", 202, { name: "matrix-backup", backup_type: "daily", rotation: 1 }),
  action("migrate", "manager", 202, null),
  // one compute host: nova's conductor finds no other and the API answers 400 at once
  action("os-migrateLive", "manager", 400, { host: null, block_migration: "auto" }, { version: "2.25" }),
  // the matrix runs without a reclaim interval: nothing is soft-deleted, so restore is nova's 409
  action("restore", "member", 409, null),
  action("forceDelete", "member", 202, null),
  // the server's host is up: nova's 400 after the policy check
  action("evacuate", "admin", 400, {}, { version: "2.14" }),

  // server sub-resources
  server({ method: "GET", path: "/servers/{server}/ips", rule: "reader", ok: 200 }),
  server({ method: "GET", path: "/servers/{server}/ips/{network}", rule: "reader", ok: 200 }),
  server({ method: "GET", path: "/servers/{server}/os-interface", rule: "reader", ok: 200 }),
  server({ method: "GET", path: "/servers/{server}/os-interface/{port}", rule: "reader", ok: 200 }),
  server({
    method: "POST",
    path: "/servers/{server}/os-interface",
    rule: "member",
    ok: 200,
    body: () => ({ interfaceAttachment: {} }),
    fresh: freshServer,
  }),
  server({
    method: "DELETE",
    path: "/servers/{server}/os-interface/{port}",
    rule: "member",
    ok: 202,
    fresh: async (fx, side) => {
      const server = await fx.server(side);
      const list = await fx.send({
        api: "compute",
        method: "GET",
        path: `/servers/${server}/os-interface`,
        as: "admin",
      });
      return { server, port: list.json.interfaceAttachments[0].port_id };
    },
  }),
  // nova's security group and floating IP proxies of Neutron (to 2.35) and the server's side
  server({ method: "GET", path: "/servers/{server}/os-security-groups", rule: "reader", ok: 200 }),
  action("addSecurityGroup", "member", 202, null, {
    body: (t) => ({ name: t.securityGroup }),
    fresh: async (fx, side) => ({
      server: await fx.server(side),
      securityGroup: await fx.securityGroup(side),
    }),
  }),
  action("removeSecurityGroup", "member", 202, null, {
    body: (t) => ({ name: t.securityGroup }),
    fresh: async (fx, side) => {
      const server = await fx.server(side);
      const securityGroup = await fx.securityGroup(side);
      await fx.send({
        api: "compute",
        method: "POST",
        path: `/servers/${server}/action`,
        as: "admin",
        body: { addSecurityGroup: { name: securityGroup } },
      });
      return { server, securityGroup };
    },
  }),
  action("addFloatingIp", "member", 202, null, {
    body: (t) => ({ address: t.floatingAddress }),
    fresh: async (fx, side) => ({
      server: await fx.server(side),
      floatingAddress: (await fx.floatingIp(side)).address,
    }),
  }),
  action("removeFloatingIp", "member", 202, null, {
    body: (t) => ({ address: t.floatingAddress }),
    fresh: async (fx, side) => {
      const server = await fx.server(side);
      return { server, floatingAddress: (await fx.floatingIp(side, server)).address };
    },
  }),
  { ...proxy("GET", "/os-security-groups", "reader", 200), ownOnly: true },
  {
    ...proxy("POST", "/os-security-groups", "member", 200),
    ownOnly: true,
    body: () => ({ security_group: { name: uniqueName(), description: "matrix" } }),
  },
  proxy("GET", "/os-security-groups/{securityGroup}", "reader", 200),
  {
    ...proxy("PUT", "/os-security-groups/{securityGroup}", "member", 200),
    body: () => ({ security_group: { name: uniqueName(), description: "renamed" } }),
  },
  {
    ...proxy("DELETE", "/os-security-groups/{securityGroup}", "member", 202),
    fresh: async (fx, side) => ({ securityGroup: await fx.securityGroup(side) }),
  },
  {
    ...proxy("POST", "/os-security-group-rules", "member", 200),
    body: (t) => ({
      security_group_rule: {
        parent_group_id: t.securityGroup,
        ip_protocol: "tcp",
        from_port: 22,
        to_port: 22,
      },
    }),
    fresh: async (fx, side) => ({ securityGroup: await fx.securityGroup(side) }),
  },
  {
    ...proxy("DELETE", "/os-security-group-rules/{rule}", "member", 202),
    // the refused cells' rule: any uuid, since nova checks the policy before it looks
    target: () => ({ rule: "0b7c3c5e-6d0f-4d35-9a43-1f7a2a9b6c11" }),
    fresh: async (fx, side) => {
      const securityGroup = await fx.securityGroup(side);
      const created = await fx.send({
        api: "compute",
        method: "POST",
        path: "/os-security-group-rules",
        as: "admin",
        version: "2.35",
        body: {
          security_group_rule: {
            parent_group_id: securityGroup,
            ip_protocol: "tcp",
            from_port: 80,
            to_port: 80,
          },
        },
      });
      return { rule: created.json.security_group_rule.id };
    },
  },
  { ...proxy("GET", "/os-floating-ip-pools", "any", 200), ownOnly: true },
  { ...proxy("GET", "/os-floating-ips", "reader", 200), ownOnly: true },
  { ...proxy("POST", "/os-floating-ips", "member", 200), ownOnly: true, body: () => ({ pool: "public" }) },
  proxy("GET", "/os-floating-ips/{floatingIp}", "reader", 200),
  {
    ...proxy("DELETE", "/os-floating-ips/{floatingIp}", "member", 202),
    fresh: async (fx, side) => ({ floatingIp: (await fx.floatingIp(side)).id }),
  },
  // nova's image proxy has no policy of its own: Glance decides with the caller's token
  { ...proxy("GET", "/images", "reader", 200), ownOnly: true },
  { ...proxy("GET", "/images/detail", "reader", 200), ownOnly: true },
  {
    ...proxy("GET", "/images/{image}", "reader", 200),
    expect: byRule("reader", 200, "hidden", { "own.norole": 404 }),
  },
  {
    ...proxy("DELETE", "/images/{image}", "member", 204),
    expect: byRule("member", 204, "hidden", { "own.norole": 404 }),
    fresh: async (fx, side) => ({ image: await fx.image(side) }),
  },
  // image metadata: Glance decides here too, reading and writing with the caller's token
  {
    ...proxy("GET", "/images/{image}/metadata", "reader", 200),
    expect: byRule("reader", 200, "hidden", { "own.norole": 404 }),
  },
  ...(["POST", "PUT"] as const).map((method) => ({
    ...proxy(method, "/images/{image}/metadata", "member", 200),
    body: () => ({ metadata: { matrix: "yes" } }),
    expect: byRule("member", 200, "hidden", { "own.norole": 404 }),
    fresh: async (fx: Fixture, side: Side) => ({ image: await fx.image(side) }),
  })),
  {
    ...proxy("GET", "/images/{image}/metadata/{key}", "reader", 200),
    expect: byRule("reader", 200, "hidden", { "own.norole": 404 }),
    target: (seed) => ({ image: seed.image, key: "matrix" }),
    fresh: imageWithKey,
  },
  {
    ...proxy("PUT", "/images/{image}/metadata/{key}", "member", 200),
    body: () => ({ meta: { matrix: "no" } }),
    expect: byRule("member", 200, "hidden", { "own.norole": 404 }),
    target: (seed) => ({ image: seed.image, key: "matrix" }),
    fresh: imageWithKey,
  },
  {
    ...proxy("DELETE", "/images/{image}/metadata/{key}", "member", 204),
    // a refused reader addresses the standing image, which lacks the key: nova looks for the
    // key before Glance is asked to write (404 "Invalid metadata key")
    expect: byRule("member", 204, "hidden", { "own.norole": 404, "own.reader": 404 }),
    target: (seed) => ({ image: seed.image, key: "matrix" }),
    fresh: imageWithKey,
  },
  { ...proxy("GET", "/os-networks", "reader", 200), ownOnly: true },
  { ...proxy("GET", "/os-networks/{networkId}", "reader", 200), target: networkOf },
  { ...proxy("GET", "/os-tenant-networks", "reader", 200), ownOnly: true },
  { ...proxy("GET", "/os-tenant-networks/{networkId}", "reader", 200), target: networkOf },

  server({ method: "GET", path: "/servers/{server}/metadata", rule: "reader", ok: 200 }),
  server({
    method: "POST",
    path: "/servers/{server}/metadata",
    rule: "member",
    ok: 200,
    body: () => ({ metadata: { "matrix-added": "x" } }),
  }),
  server({
    method: "PUT",
    path: "/servers/{server}/metadata",
    rule: "member",
    ok: 200,
    body: (t) => ({ metadata: { [t.metaKey!]: t.metaValue } }),
  }),
  server({ method: "GET", path: "/servers/{server}/metadata/{metaKey}", rule: "reader", ok: 200 }),
  server({
    method: "PUT",
    path: "/servers/{server}/metadata/{metaKey}",
    rule: "member",
    ok: 200,
    body: (t) => ({ meta: { [t.metaKey!]: t.metaValue } }),
  }),
  server({
    method: "DELETE",
    path: "/servers/{server}/metadata/{metaKey}",
    rule: "member",
    ok: 204,
    fresh: async (fx, side) => {
      const id = await fx.server(side);
      const as = side === "own" ? "member" : { token: fx.foreign.token };
      await fx.send({
        api: "compute",
        method: "PUT",
        path: `/servers/${id}/metadata/k`,
        as,
        body: { meta: { k: "v" } },
      });
      return { server: id, metaKey: "k" };
    },
  }),
  server({ method: "GET", path: "/servers/{server}/tags", version: "2.26", rule: "reader", ok: 200 }),
  server({
    method: "PUT",
    path: "/servers/{server}/tags",
    version: "2.26",
    rule: "member",
    ok: 200,
    body: (t) => ({ tags: [t.tag] }),
  }),
  server({
    method: "DELETE",
    path: "/servers/{server}/tags",
    version: "2.26",
    rule: "member",
    ok: 204,
    fresh: freshServer,
  }),
  server({ method: "GET", path: "/servers/{server}/tags/{tag}", version: "2.26", rule: "reader", ok: 204 }),
  server({ method: "PUT", path: "/servers/{server}/tags/{tag}", version: "2.26", rule: "member", ok: 204 }),
  server({
    method: "DELETE",
    path: "/servers/{server}/tags/{tag}",
    version: "2.26",
    rule: "member",
    ok: 204,
    fresh: async (fx, side) => {
      const id = await fx.server(side);
      const as = side === "own" ? "member" : { token: fx.foreign.token };
      await fx.send({ api: "compute", method: "PUT", path: `/servers/${id}/tags/t`, as, version: "2.26" });
      return { server: id, tag: "t" };
    },
  }),
  server({ method: "GET", path: "/servers/{server}/os-instance-actions", rule: "reader", ok: 200 }),
  server({
    method: "GET",
    path: "/servers/{server}/os-instance-actions/{requestId}",
    rule: "reader",
    ok: 200,
  }),
  server({ method: "GET", path: "/servers/{server}/os-server-password", rule: "reader", ok: 200 }),
  server({ method: "DELETE", path: "/servers/{server}/os-server-password", rule: "member", ok: 204 }),
  server({ method: "GET", path: "/servers/{server}/diagnostics", rule: "admin", ok: 200 }),
  server({
    method: "POST",
    path: "/servers/{server}/remote-consoles",
    version: "2.6",
    body: () => ({ remote_console: { protocol: "serial", type: "serial" } }),
    rule: "member",
    ok: 200,
  }),
  server({ method: "GET", path: "/servers/{server}/topology", version: "2.78", rule: "reader", ok: 200 }),
  server({ method: "GET", path: "/servers/{server}/migrations", version: "2.23", rule: "manager", ok: 200 }),
  // no migration 1: nova's admin hears 404 (show) or 409 (not migrating) for it
  server({
    method: "GET",
    path: "/servers/{server}/migrations/{migration}",
    version: "2.23",
    rule: "admin",
    ok: 404,
    target: (seed) => ({ server: seed.server, migration: "1" }),
  }),
  server({
    method: "DELETE",
    path: "/servers/{server}/migrations/{migration}",
    version: "2.24",
    rule: "manager",
    ok: 409,
    target: (seed) => ({ server: seed.server, migration: "1" }),
  }),
  {
    api: "compute",
    method: "POST",
    path: "/servers/{server_id}/migrations/{id}/action",
    action: "force_complete",
    variant: "migration 1",
    version: "2.22",
    target: (seed) => ({ server_id: seed.server, id: "1" }),
    body: () => null,
    expect: byRule("manager", 409, "hidden"),
  },

  // flavors: a private flavor is found only by its projects (and the admin)
  { api: "compute", method: "GET", path: "/flavors", ownOnly: true, expect: byRule("any", 200, "same") },
  {
    api: "compute",
    method: "GET",
    path: "/flavors/detail",
    ownOnly: true,
    expect: byRule("any", 200, "same"),
  },
  { api: "compute", method: "GET", path: "/flavors/{flavor}", expect: byRule("any", 200, "hidden") },
  admin("POST", "/flavors", 200, {
    body: () => ({ flavor: { name: uniqueName(), ram: 64, vcpus: 1, disk: 1 } }),
  }),
  {
    ...admin("PUT", "/flavors/{flavor}", 200, {
      version: "2.55",
      body: () => ({ flavor: { description: "d" } }),
    }),
    ownOnly: false,
  },
  {
    ...admin("DELETE", "/flavors/{flavor}", 202, {
      fresh: async (fx, side) => ({ flavor: await fx.flavor(side) }),
    }),
    ownOnly: false,
  },
  { ...admin("GET", "/flavors/{flavor}/os-flavor-access", 200), ownOnly: false },
  {
    ...admin("POST", "/flavors/{flavor}/action", 200, {
      action: "addTenantAccess",
      fresh: async (fx, side) => ({
        flavor: await fx.flavor(side, { access: false }),
        project: fx[side].project,
      }),
      body: (t) => ({ tenant: t.project }),
    }),
    ownOnly: false,
  },
  {
    ...admin("POST", "/flavors/{flavor}/action", 200, {
      action: "removeTenantAccess",
      fresh: async (fx, side) => ({ flavor: await fx.flavor(side), project: fx[side].project }),
      body: (t) => ({ tenant: t.project }),
    }),
    ownOnly: false,
  },
  {
    // the policy is checked against the caller's own project before the flavor is looked up
    api: "compute",
    method: "GET",
    path: "/flavors/{flavor}/os-extra_specs",
    expect: byRule("reader", 200, "hidden", { "foreign.norole": 403 }),
  },
  {
    api: "compute",
    method: "GET",
    path: "/flavors/{flavor}/os-extra_specs/{specKey}",
    expect: byRule("reader", 200, "hidden", { "foreign.norole": 403 }),
  },
  {
    ...admin("POST", "/flavors/{flavor}/os-extra_specs", 200, {
      body: (t) => ({ extra_specs: { [t.specKey!]: "posted" } }),
    }),
    ownOnly: false,
  },
  {
    ...admin("PUT", "/flavors/{flavor}/os-extra_specs/{specKey}", 200, {
      body: (t) => ({ [t.specKey!]: "put" }),
    }),
    ownOnly: false,
  },
  {
    ...admin("DELETE", "/flavors/{flavor}/os-extra_specs/{specKey}", 200, {
      fresh: async (fx, side) => ({ flavor: await fx.flavor(side), specKey: fx[side].specKey }),
    }),
    ownOnly: false,
  },

  // keypairs: `admin or user_id:%(user_id)s`, whatever the roles; the target user is the project's member
  { api: "compute", method: "GET", path: "/os-keypairs", ownOnly: true, expect: byRule("any", 200, "same") },
  {
    api: "compute",
    method: "GET",
    path: "/os-keypairs?user_id={user}",
    version: "2.10",
    target: (seed) => ({ user: seed.user }),
    expect: byRule("member", 200, "denied"),
  },
  {
    api: "compute",
    method: "POST",
    path: "/os-keypairs",
    version: "2.2",
    ownOnly: true,
    body: () => ({ keypair: { name: uniqueName() } }),
    expect: byRule("any", 201, "same"),
  },
  {
    api: "compute",
    method: "POST",
    path: "/os-keypairs",
    variant: "user_id",
    version: "2.10",
    target: (seed) => ({ user: seed.user }),
    body: (t) => ({ keypair: { name: uniqueName(), user_id: t.user } }),
    expect: byRule("member", 201, "denied"),
  },
  {
    api: "compute",
    method: "GET",
    path: "/os-keypairs/{keypair}?user_id={user}",
    version: "2.10",
    expect: byRule("member", 200, "denied"),
  },
  {
    api: "compute",
    method: "DELETE",
    path: "/os-keypairs/{keypair}?user_id={user}",
    version: "2.10",
    fresh: async (fx, side) => ({ keypair: await fx.keypair(side), user: fx[side].user }),
    expect: byRule("member", 204, "denied"),
  },

  // server groups: looked up within the caller's project unless the caller is an admin
  {
    api: "compute",
    method: "GET",
    path: "/os-server-groups",
    ownOnly: true,
    expect: byRule("reader", 200, "same"),
  },
  {
    api: "compute",
    method: "POST",
    path: "/os-server-groups",
    ownOnly: true,
    body: () => ({ server_group: { name: "matrix-group", policies: ["affinity"] } }),
    expect: byRule("member", 200, "same"),
  },
  {
    api: "compute",
    method: "GET",
    path: "/os-server-groups/{group}",
    expect: byRule("reader", 200, "hidden"),
  },
  {
    api: "compute",
    method: "DELETE",
    path: "/os-server-groups/{group}",
    fresh: async (fx, side) => ({ group: await fx.group(side) }),
    expect: byRule("member", 204, "hidden"),
  },

  // quotas, limits, usage: the policy target is the project in the URL
  {
    api: "compute",
    method: "GET",
    path: "/os-quota-sets/{project}",
    expect: byRule("reader", 200, "denied"),
  },
  {
    api: "compute",
    method: "GET",
    path: "/os-quota-sets/{project}/detail",
    expect: byRule("reader", 200, "denied"),
  },
  {
    api: "compute",
    method: "GET",
    path: "/os-quota-sets/{project}/defaults",
    expect: byRule("any", 200, "same"),
  },
  {
    ...admin("PUT", "/os-quota-sets/{project}", 200, {
      body: () => ({ quota_set: { instances: -1, cores: -1, ram: -1 } }),
    }),
    ownOnly: false,
  },
  {
    // a throwaway project: a quota reset would bring back the limits the fixture lifted
    ...admin("DELETE", "/os-quota-sets/{project}", 202, {
      fresh: async (fx) => ({ project: await fx.project() }),
    }),
    ownOnly: false,
  },
  { api: "compute", method: "GET", path: "/limits", ownOnly: true, expect: byRule("any", 200, "same") },
  { api: "compute", method: "GET", path: "/extensions", ownOnly: true, expect: byRule("any", 200, "same") },
  {
    api: "compute",
    method: "GET",
    path: "/extensions/{extension}",
    target: (seed) => ({ ...seed, extension: "os-agents" }),
    ownOnly: true,
    expect: byRule("any", 200, "same"),
  },
  {
    api: "compute",
    method: "GET",
    path: "/os-simple-tenant-usage/{project}?start=2020-01-01T00:00:00&end=2030-01-01T00:00:00",
    expect: byRule("reader", 200, "denied"),
  },
  admin("GET", "/os-simple-tenant-usage?start=2020-01-01T00:00:00&end=2030-01-01T00:00:00", 200),
  admin("GET", "/os-quota-class-sets/{class}", 200, { target: () => ({ class: "default" }) }),
  admin("PUT", "/os-quota-class-sets/{class}", 200, {
    target: () => ({ class: "default" }),
    body: () => ({ quota_class_set: { metadata_items: 128 } }),
  }),

  // the cloud's own resources
  {
    api: "compute",
    method: "GET",
    path: "/os-availability-zone",
    ownOnly: true,
    expect: byRule("any", 200, "same"),
  },
  admin("GET", "/os-availability-zone/detail", 200),
  // no such token: nova's admin hears 404 for it
  admin("GET", "/os-console-auth-tokens/{token}", 404, {
    version: "2.31",
    target: () => ({ token: "no-such-token" }),
  }),
  admin("GET", "/os-hypervisors", 200),
  admin("GET", "/os-hypervisors/detail", 200),
  admin("GET", "/os-hypervisors/statistics", 200),
  admin("GET", "/os-hypervisors/{hypervisor}", 200, { target: (_s, fx) => ({ hypervisor: fx.hypervisor }) }),
  admin("GET", "/os-hypervisors/{hypervisor}/uptime", 200, {
    target: (_s, fx) => ({ hypervisor: fx.hypervisor }),
  }),
  admin("GET", "/os-hypervisors/{name}/search", 200, {
    target: (_s, fx) => ({ name: fx.hypervisorHostname }),
  }),
  admin("GET", "/os-hypervisors/{name}/servers", 200, {
    target: (_s, fx) => ({ name: fx.hypervisorHostname }),
  }),
  admin("GET", "/os-services", 200),
  admin("PUT", "/os-services/{service}", 200, {
    variant: "2.1 enable by host and binary",
    target: (_s, fx) => ({ service: "enable", host: fx.host }),
    body: (t) => ({ host: t.host, binary: "nova-compute" }),
  }),
  // an unknown service: deleting the one compute service would end the fixture
  admin("DELETE", "/os-services/{service}", 404, {
    version: "2.53",
    target: () => ({ service: "00000000-0000-4000-8000-000000000000" }),
  }),
  admin("GET", "/os-aggregates", 200),
  admin("POST", "/os-aggregates", 200, { body: () => ({ aggregate: { name: uniqueName() } }) }),
  admin("GET", "/os-aggregates/{aggregate}", 200, {
    target: anyAggregate,
    fresh: async (fx) => ({ aggregate: await fx.aggregate() }),
  }),
  admin("PUT", "/os-aggregates/{aggregate}", 200, {
    target: anyAggregate,
    fresh: async (fx) => ({ aggregate: await fx.aggregate() }),
    body: () => ({ aggregate: { name: uniqueName() } }),
  }),
  admin("DELETE", "/os-aggregates/{aggregate}", 200, {
    target: anyAggregate,
    fresh: async (fx) => ({ aggregate: await fx.aggregate() }),
  }),
  admin("POST", "/os-aggregates/{aggregate}/action", 200, {
    action: "add_host",
    target: anyAggregate,
    fresh: async (fx) => ({ aggregate: await fx.aggregate(), host: fx.host }),
    body: (t) => ({ host: t.host }),
  }),
  admin("POST", "/os-aggregates/{aggregate}/action", 200, {
    action: "remove_host",
    target: anyAggregate,
    fresh: async (fx) => ({ aggregate: await fx.aggregate({ host: true }), host: fx.host }),
    body: (t) => ({ host: t.host }),
  }),
  admin("POST", "/os-aggregates/{aggregate}/action", 200, {
    action: "set_metadata",
    target: anyAggregate,
    fresh: async (fx) => ({ aggregate: await fx.aggregate() }),
    body: () => ({ metadata: { matrix: "x" } }),
  }),
  admin("POST", "/os-aggregates/{aggregate}/images", 202, {
    version: "2.81",
    target: anyAggregate,
    fresh: async (fx) => ({ aggregate: await fx.aggregate({ host: true }) }),
    body: () => ({ cache: [{ id: IMAGE_ID }] }),
  }),
  admin("GET", "/os-hosts", 200),
  admin("GET", "/os-hosts/{host}", 200, { target: (_s, fx) => ({ host: fx.host }) }),
  admin("PUT", "/os-hosts/{host}", 200, {
    target: (_s, fx) => ({ host: fx.host }),
    body: () => ({ status: "enable" }),
  }),
  // the fake driver has no host power actions: nova answers 501 for them
  admin("GET", "/os-hosts/{host}/reboot", 501, { target: (_s, fx) => ({ host: fx.host }) }),
  admin("GET", "/os-hosts/{host}/shutdown", 501, { target: (_s, fx) => ({ host: fx.host }) }),
  admin("GET", "/os-hosts/{host}/startup", 501, { target: (_s, fx) => ({ host: fx.host }) }),
  {
    api: "compute",
    method: "GET",
    path: "/os-migrations",
    ownOnly: true,
    expect: byRule("manager", 200, "same"),
  },
  {
    // service (or admin), checked before the events' servers are looked up
    ...admin("POST", "/os-server-external-events", 200, {
      body: (t) => ({ events: [{ name: "network-changed", server_uuid: t.server }] }),
    }),
    ownOnly: false,
  },
  admin("GET", "/os-instance_usage_audit_log", 200),
  admin("GET", "/os-instance_usage_audit_log/{before}", 200, {
    target: () => ({ before: "2030-01-01 00:00:00" }),
  }),
];
