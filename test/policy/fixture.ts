/**
 * The world the policy matrix runs in: one in-process nimbus, four callers on the own
 * project (the admin, the demo member, a reader and a user holding only a role no default
 * policy knows, since Keystone gives no project token to a user without any role), and in
 * the own and in a foreign project a standing seed of every kind of resource the routes
 * address, plus makers of throwaway targets for the cells that consume theirs.
 */

import { randomUUID } from "node:crypto";
import { PUBLIC_NETWORK_ID } from "../../src/services/network/bootstrap-network.js";
import {
  ADMIN_PASSWORD,
  type Caller,
  type ComputeHarness,
  computeHarness,
  DEMO_PASSWORD,
  IMAGE_ID,
  OTHER_PASSWORD,
  TINY,
} from "../compute-harness.js";
import type { Api, Role, Side } from "./matrix.js";

const ROOT: Record<Api, string> = { compute: "/compute/v2.1", identity: "/identity/v3", image: "/image/v2" };

export interface Sent {
  status: number;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: bodies are read freely
  json: any;
}

export interface Send {
  api: Api;
  method: string;
  path: string;
  /** A caller's role, or a raw token (for seeding as the foreign member). */
  as: Role | { token: string };
  version?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** The resources of one project that the rows address. */
export interface Seed {
  project: string;
  /** The project's member, who made the seed. */
  user: string;
  token: string;
  server: string;
  serverName: string;
  network: string;
  /** The id of that network. */
  networkId: string;
  /** The server's first port (os-interface). */
  port: string;
  /** The request id of the server's create action. */
  requestId: string;
  metaKey: string;
  metaValue: string;
  tag: string;
  keypair: string;
  keypairFingerprint: string;
  group: string;
  groupName: string;
  /** A private flavor the project has access to, with one extra spec. */
  flavor: string;
  flavorName: string;
  specKey: string;
  /** A private image with data, owned by the project. */
  image: string;
  imageName: string;
  /** A community image with data, owned by the project. */
  communityImage: string;
  /** A security group of the project besides its default one. */
  securityGroup: string;
  /** A floating IP of the project from `public`, not associated. */
  floatingIp: string;
  floatingAddress: string;
}

export interface Self {
  user: string;
  /** The project its token is scoped to. */
  project: string;
  userName: string;
  password: string;
  token: string;
}

export interface Fixture {
  harness: ComputeHarness;
  own: Seed;
  foreign: Seed;
  /** Each caller's own user. */
  self: Record<Role, Self>;
  /** The foreign project's member. */
  stranger: Self;
  roleIds: Record<"member" | "reader", string>;
  /** The fake compute host and its hypervisor. */
  host: string;
  hypervisor: string;
  hypervisorHostname: string;
  /** A service and an endpoint of the catalog. */
  catalogService: string;
  catalogEndpoint: string;
  send(request: Send): Promise<Sent>;
  /** What the foreign project holds that no caller of the own project may read. */
  secrets(): string[];
  /** A unique name for things made by the cells. */
  unique(prefix: string): string;
  /** A new active server of the side's project, brought into a state by `prep` actions. */
  server(side: Side, ...prep: Array<Record<string, unknown>>): Promise<string>;
  flavor(side: Side, options?: { access?: boolean }): Promise<string>;
  keypair(side: Side): Promise<string>;
  group(side: Side): Promise<string>;
  securityGroup(side: Side): Promise<string>;
  /** A new floating IP of the side's project, associated with the server's first port when one is named. */
  floatingIp(side: Side, server?: string): Promise<{ id: string; address: string }>;
  image(side: Side, options?: { data?: boolean; visibility?: string; tag?: string }): Promise<string>;
  project(): Promise<string>;
  user(): Promise<string>;
  role(): Promise<string>;
  aggregate(options?: { host?: boolean }): Promise<string>;
  /** A new token of `who` (revoking it spends only it). */
  login(who: Self): Promise<string>;
}

function passwordAuth(user: string, password: string, project: string) {
  return {
    auth: {
      identity: {
        methods: ["password"],
        password: { user: { name: user, domain: { id: "default" }, password } },
      },
      scope: { project: { id: project } },
    },
  };
}

/** Starts nimbus and seeds both projects; fails at once when any step of the seeding does. */
export async function policyFixture(): Promise<Fixture> {
  const harness = await computeHarness();
  const tokens: Record<Role, string> = {
    admin: harness.tokens.admin,
    member: harness.tokens.demo,
    reader: "",
    norole: "",
  };
  let counter = 0;
  const unique = (prefix: string) => `${prefix}-${++counter}-${randomUUID().slice(0, 8)}`;

  const send = async (r: Send): Promise<Sent> => {
    const headers: Record<string, string> = { accept: "application/json", ...r.headers };
    headers["x-auth-token"] = typeof r.as === "string" ? tokens[r.as] : r.as.token;
    if (r.api === "compute") headers["openstack-api-version"] = `compute ${r.version ?? "2.1"}`;
    let payload: string | Buffer | undefined;
    if (Buffer.isBuffer(r.body)) {
      payload = r.body;
      headers["content-type"] ??= "application/octet-stream";
    } else if (r.body !== undefined) {
      payload = JSON.stringify(r.body);
      headers["content-type"] ??= "application/json";
    }
    const response = await harness.app.inject({
      method: r.method as "GET",
      url: `${ROOT[r.api]}${r.path}`,
      headers,
      payload,
    });
    let json: unknown;
    try {
      json = response.body ? JSON.parse(response.body) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.statusCode, text: response.body, json };
  };

  /** A seeding call that must succeed. */
  const must = async (r: Send, status?: number): Promise<Sent> => {
    const response = await send(r);
    if (status === undefined ? response.status >= 300 : response.status !== status) {
      throw new Error(`${r.method} ${r.path}: ${response.status} ${response.text}`);
    }
    return response;
  };

  const login = async (who: Self) => {
    const response = await harness.app.inject({
      method: "POST",
      url: "/identity/v3/auth/tokens",
      payload: passwordAuth(who.userName, who.password, who.project),
    });
    if (response.statusCode !== 201) throw new Error(`login ${who.userName}: ${response.body}`);
    return response.headers["x-subject-token"] as string;
  };

  const roleId = async (name: string) => {
    const found = await must({ api: "identity", method: "GET", path: `/roles?name=${name}`, as: "admin" });
    return (
      (found.json.roles[0]?.id as string | undefined) ??
      (await must({ api: "identity", method: "POST", path: "/roles", as: "admin", body: { role: { name } } }))
        .json.role.id
    );
  };
  const roleIds = { member: await roleId("member"), reader: await roleId("reader") };
  const observer = await roleId("observer");

  const own = harness.projects.demo;
  const foreignProject = harness.projects.other;
  const newUser = async (name: string, password: string, role: string) => {
    const user = (
      await must({
        api: "identity",
        method: "POST",
        path: "/users",
        as: "admin",
        body: { user: { name, password, default_project_id: own } },
      })
    ).json.user.id as string;
    await must({
      api: "identity",
      method: "PUT",
      path: `/projects/${own}/users/${user}/roles/${role}`,
      as: "admin",
    });
    const self: Self = { user, project: own, userName: name, password, token: "" };
    self.token = await login(self);
    return self;
  };
  const self: Record<Role, Self> = {
    admin: {
      user: harness.users.admin,
      project: harness.projects.admin,
      userName: "admin",
      password: ADMIN_PASSWORD,
      token: tokens.admin,
    },
    member: {
      user: harness.users.demo,
      project: own,
      userName: "demo",
      password: DEMO_PASSWORD,
      token: tokens.member,
    },
    reader: await newUser("matrix-reader", "matrix-reader-secret", roleIds.reader),
    norole: await newUser("matrix-observer", "matrix-observer-secret", observer),
  };
  tokens.reader = self.reader.token;
  tokens.norole = self.norole.token;
  const stranger: Self = {
    user: harness.users.other,
    project: foreignProject,
    userName: "other",
    password: OTHER_PASSWORD,
    token: harness.tokens.other,
  };

  const caller: Record<Side, Caller> = { own: "demo", foreign: "other" };
  const memberOf: Record<Side, { token: string }> = {
    own: { token: tokens.member },
    foreign: { token: stranger.token },
  };
  const projectOf: Record<Side, string> = { own, foreign: foreignProject };

  // the foreign project's servers get addresses too: a network of its own, as a new project makes one
  const net = await harness.call({
    method: "POST",
    url: "/network/v2.0/networks",
    as: "other",
    body: { network: { name: "other-net" } },
  });
  await harness.call({
    method: "POST",
    url: "/network/v2.0/subnets",
    as: "other",
    body: { subnet: { network_id: net.json.network.id, ip_version: 4, cidr: "192.168.10.0/24" } },
  });
  // the cells make many groups and floating IPs: Neutron's quotas must not refuse them
  for (const project of [own, foreignProject]) {
    await harness.call({
      method: "PUT",
      url: `/network/v2.0/quotas/${project}`,
      as: "admin",
      body: { quota: { security_group: -1, security_group_rule: -1, floatingip: -1, port: -1 } },
    });
  }
  // ... and a router to the public network, so that they can have floating IPs
  const router = await harness.call({
    method: "POST",
    url: "/network/v2.0/routers",
    as: "other",
    body: { router: { name: "other-router", external_gateway_info: { network_id: PUBLIC_NETWORK_ID } } },
  });
  await harness.call({
    method: "PUT",
    url: `/network/v2.0/routers/${router.json.router.id}/add_router_interface`,
    as: "other",
    body: {
      subnet_id: (
        await harness.call({
          method: "GET",
          url: `/network/v2.0/subnets?network_id=${net.json.network.id}`,
          as: "other",
        })
      ).json.subnets[0].id,
    },
  });

  const portOf = async (serverId: string): Promise<string> =>
    (await must({ api: "compute", method: "GET", path: `/servers/${serverId}/os-interface`, as: "admin" }))
      .json.interfaceAttachments[0].port_id;

  const server = async (side: Side, ...prep: Array<Record<string, unknown>>) => {
    const id = await harness.activeServer({ as: caller[side], name: unique(`${side}-vm`) });
    for (const action of prep) {
      // shelveOffload and the like are the admin's; the rest the project member's
      const as = "shelveOffload" in action ? "admin" : memberOf[side];
      await must({ api: "compute", method: "POST", path: `/servers/${id}/action`, as, body: action });
      await harness.drain();
    }
    return id;
  };

  const flavor = async (side: Side, options: { access?: boolean } = {}) => {
    const name = unique(`${side}-flavor`);
    const created = await must({
      api: "compute",
      method: "POST",
      path: "/flavors",
      as: "admin",
      body: { flavor: { name, ram: 64, vcpus: 1, disk: 1, "os-flavor-access:is_public": false } },
    });
    const id = created.json.flavor.id as string;
    if (options.access !== false) {
      await must({
        api: "compute",
        method: "POST",
        path: `/flavors/${id}/action`,
        as: "admin",
        body: { addTenantAccess: { tenant: projectOf[side] } },
      });
    }
    await must({
      api: "compute",
      method: "POST",
      path: `/flavors/${id}/os-extra_specs`,
      as: "admin",
      body: { extra_specs: { [SPEC_KEY]: unique("spec") } },
    });
    return id;
  };

  const keypair = async (side: Side) => {
    const name = unique(`${side}-kp`);
    await must({
      api: "compute",
      method: "POST",
      path: "/os-keypairs",
      as: memberOf[side],
      body: { keypair: { name } },
    });
    return name;
  };

  const group = async (side: Side) => {
    const created = await must({
      api: "compute",
      method: "POST",
      path: "/os-server-groups",
      as: memberOf[side],
      body: { server_group: { name: unique(`${side}-group`), policies: ["affinity"] } },
    });
    return created.json.server_group.id as string;
  };

  const neutron = async (side: Side, method: "POST" | "PUT", url: string, body: unknown) => {
    const res = await harness.call({ method, url: `/network/v2.0${url}`, as: caller[side], body });
    if (res.status >= 300)
      throw new Error(`seeding ${method} ${url} answered ${res.status}: ${JSON.stringify(res.json)}`);
    return res.json;
  };

  const securityGroup = async (side: Side) =>
    (await neutron(side, "POST", "/security-groups", { security_group: { name: unique(`${side}-sg`) } }))
      .security_group.id as string;

  const floatingIp = async (side: Side, server?: string) => {
    const port = server === undefined ? undefined : await portOf(server);
    const fip = (
      await neutron(side, "POST", "/floatingips", {
        floatingip: { floating_network_id: PUBLIC_NETWORK_ID, ...(port && { port_id: port }) },
      })
    ).floatingip;
    return { id: fip.id as string, address: fip.floating_ip_address as string };
  };

  const image = async (side: Side, options: { data?: boolean; visibility?: string; tag?: string } = {}) => {
    const created = await must({
      api: "image",
      method: "POST",
      path: "/images",
      as: memberOf[side],
      body: {
        name: unique(`${side}-image`),
        disk_format: "raw",
        container_format: "bare",
        visibility: options.visibility ?? "private",
        ...(options.tag ? { tags: [options.tag] } : {}),
      },
    });
    const id = created.json.id as string;
    if (options.data !== false) {
      await must({
        api: "image",
        method: "PUT",
        path: `/images/${id}/file`,
        as: memberOf[side],
        body: Buffer.from(unique("image-data")),
      });
    }
    return id;
  };

  const seed = async (side: Side): Promise<Seed> => {
    const metaKey = unique(`${side}-meta-key`);
    const metaValue = unique(`${side}-meta-value`);
    const tag = unique(`${side}-tag`);
    const keypairName = await keypair(side);
    const groupId = await group(side);
    const serverId = await harness.activeServer({
      as: caller[side],
      name: unique(`${side}-server`),
      server: { metadata: { [metaKey]: metaValue }, key_name: keypairName },
    });
    await must({
      api: "compute",
      method: "PUT",
      path: `/servers/${serverId}/tags/${tag}`,
      as: memberOf[side],
      version: "2.26",
    });
    const shown = (await must({ api: "compute", method: "GET", path: `/servers/${serverId}`, as: "admin" }))
      .json.server;
    const actions = await must({
      api: "compute",
      method: "GET",
      path: `/servers/${serverId}/os-instance-actions`,
      as: "admin",
    });
    const kp = await must({
      api: "compute",
      method: "GET",
      path: `/os-keypairs/${keypairName}`,
      as: memberOf[side],
    });
    const groupShown = await must({
      api: "compute",
      method: "GET",
      path: `/os-server-groups/${groupId}`,
      as: "admin",
    });
    const flavorId = await flavor(side);
    const flavorShown = await must({
      api: "compute",
      method: "GET",
      path: `/flavors/${flavorId}`,
      as: "admin",
    });
    const imageId = await image(side);
    const imageShown = await must({ api: "image", method: "GET", path: `/images/${imageId}`, as: "admin" });
    const fip = await floatingIp(side);
    return {
      project: projectOf[side],
      user: side === "own" ? self.member.user : stranger.user,
      token: memberOf[side].token,
      server: serverId,
      serverName: shown.name,
      network: Object.keys(shown.addresses)[0]!,
      port: await portOf(serverId),
      networkId: (
        await must({ api: "compute", method: "GET", path: `/servers/${serverId}/os-interface`, as: "admin" })
      ).json.interfaceAttachments[0].net_id,
      requestId: actions.json.instanceActions[0].request_id,
      metaKey,
      metaValue,
      tag,
      keypair: keypairName,
      keypairFingerprint: kp.json.keypair.fingerprint,
      group: groupId,
      groupName: groupShown.json.server_group.name,
      flavor: flavorId,
      flavorName: flavorShown.json.flavor.name,
      specKey: SPEC_KEY,
      image: imageId,
      imageName: imageShown.json.name,
      communityImage: await image(side, { visibility: "community" }),
      securityGroup: await securityGroup(side),
      floatingIp: fip.id,
      floatingAddress: fip.address,
    };
  };

  const ownSeed = await seed("own");
  const foreignSeed = await seed("foreign");

  const hypervisors = await must({
    api: "compute",
    method: "GET",
    path: "/os-hypervisors/detail",
    as: "admin",
  });
  const first = hypervisors.json.hypervisors[0];
  const services = await must({ api: "identity", method: "GET", path: "/services", as: "admin" });
  const endpoints = await must({ api: "identity", method: "GET", path: "/endpoints", as: "admin" });

  return {
    harness,
    own: ownSeed,
    foreign: foreignSeed,
    self,
    stranger,
    roleIds,
    host: first.service.host,
    hypervisor: String(first.id),
    hypervisorHostname: first.hypervisor_hostname,
    catalogService: services.json.services[0].id,
    catalogEndpoint: endpoints.json.endpoints[0].id,
    send,
    secrets: () =>
      [
        foreignSeed.project,
        foreignSeed.user,
        foreignSeed.server,
        foreignSeed.serverName,
        foreignSeed.metaKey,
        foreignSeed.metaValue,
        foreignSeed.tag,
        foreignSeed.keypair,
        foreignSeed.keypairFingerprint,
        foreignSeed.group,
        foreignSeed.groupName,
        foreignSeed.flavor,
        foreignSeed.flavorName,
        foreignSeed.image,
        foreignSeed.imageName,
        foreignSeed.securityGroup,
        foreignSeed.floatingIp,
      ].filter((s) => s !== ""),
    unique,
    server,
    flavor,
    keypair,
    group,
    securityGroup,
    floatingIp,
    image,
    async project() {
      const created = await must({
        api: "identity",
        method: "POST",
        path: "/projects",
        as: "admin",
        body: { project: { name: unique("project") } },
      });
      return created.json.project.id as string;
    },
    async user() {
      const created = await must({
        api: "identity",
        method: "POST",
        path: "/users",
        as: "admin",
        body: { user: { name: unique("user"), password: "throwaway-secret" } },
      });
      return created.json.user.id as string;
    },
    async role() {
      const created = await must({
        api: "identity",
        method: "POST",
        path: "/roles",
        as: "admin",
        body: { role: { name: unique("role") } },
      });
      return created.json.role.id as string;
    },
    async aggregate(options: { host?: boolean } = {}) {
      const created = await must({
        api: "compute",
        method: "POST",
        path: "/os-aggregates",
        as: "admin",
        body: { aggregate: { name: unique("aggregate") } },
      });
      const id = String(created.json.aggregate.id);
      if (options.host) {
        await must({
          api: "compute",
          method: "POST",
          path: `/os-aggregates/${id}/action`,
          as: "admin",
          body: { add_host: { host: first.service.host } },
        });
      }
      return id;
    },
    login,
  };
}

/** The extra spec every seeded flavor carries (any value is valid for this namespace). */
export const SPEC_KEY = "aggregate_instance_extra_specs:matrix";

export { IMAGE_ID, TINY };
