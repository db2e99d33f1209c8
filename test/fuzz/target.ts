/**
 * The server under fuzz: a real `nimbus serve` on SQLite or on a PostgreSQL database of
 * its own, and the resources the fuzzer's valid requests are built from (servers,
 * flavors, images, keypairs, a server group, an aggregate, users, projects and roles),
 * created through the API. A hung or dead process is restarted on the same data, so
 * that fast-check can keep shrinking the request that hung or killed it.
 */
import { createPostgresDatabase, type TestDatabase } from "../../src/store/testing.js";
import {
  ADMIN_PASSWORD,
  DEMO_PASSWORD,
  login,
  type NimbusProcess,
  request,
  startNimbusProcess,
  tempDataDir,
  waitUntil,
} from "../e2e/support.js";
import { send } from "./wire.js";

export type Engine = "sqlite" | "postgres";

export interface Caller {
  readonly token: string;
  readonly projectId: string;
  readonly userId: string;
}

/** The kinds of id a route's path can hold; each has at least one real value. */
export type IdKind =
  | "server"
  | "flavor"
  | "image"
  | "keypair"
  | "serverGroup"
  | "aggregate"
  | "hypervisor"
  | "host"
  | "service"
  | "requestId"
  | "metadataKey"
  | "tag"
  | "network"
  /** Neutron's resources (the compute `network` kind names the networks of a server's addresses). */
  | "neutronNetwork"
  | "subnet"
  | "port"
  | "networkExtension"
  | "extraSpec"
  | "migration"
  | "auditPeriod"
  | "project"
  | "user"
  | "role"
  | "domain"
  | "region"
  | "endpoint"
  | "catalogService"
  /** Identity resources that writes (PATCH, DELETE, revoking grants) may destroy: never the callers'. */
  | "spareProject"
  | "spareUser"
  | "spareRole"
  /** Tokens that `DELETE /v3/auth/tokens` may revoke: never the callers'. */
  | "spareToken"
  /** Version ids of `/versions/{id}`. */
  | "version";

export interface Fixtures {
  readonly admin: Caller;
  readonly member: Caller;
  readonly reader: Caller;
  readonly ids: Readonly<Record<IdKind, readonly string[]>>;
}

const READER_PASSWORD = "fuzz-reader-secret";
/** A server name on which a backtracking regular expression like `^(a+)+$` takes forever. */
export const BACKTRACKING_NAME = `${"a".repeat(40)}!`;

export class FuzzTarget {
  #nimbus: NimbusProcess;
  #restarts = 0;

  private constructor(
    nimbus: NimbusProcess,
    readonly engine: Engine,
    readonly fixtures: Fixtures,
    private readonly args: string[],
    private readonly database: TestDatabase | undefined,
  ) {
    this.#nimbus = nimbus;
  }

  static async start(engine: Engine, postgresServer?: string): Promise<FuzzTarget> {
    const database = engine === "postgres" ? await createPostgresDatabase(postgresServer!) : undefined;
    const args = database ? ["--database", database.url!] : [];
    try {
      const nimbus = await startNimbusProcess({ fakeStepMs: 0, args, dataDir: tempDataDir("nimbus-fuzz-") });
      return new FuzzTarget(nimbus, engine, await createFixtures(nimbus.url), args, database);
    } catch (error) {
      await database?.close();
      throw error;
    }
  }

  get url(): string {
    return this.#nimbus.url;
  }

  get restarts(): number {
    return this.#restarts;
  }

  alive(): boolean {
    return this.#nimbus.alive();
  }

  /** The last lines the process wrote: where a 5xx's stack trace is. */
  outputTail(chars = 4_000): string {
    return this.#nimbus.output().slice(-chars);
  }

  /** Restarts the process on the same data if it died or stopped answering. */
  async ensureHealthy(): Promise<void> {
    if (this.#nimbus.alive()) {
      try {
        const answer = await send(this.url, { method: "GET", path: "/compute/v2.1", headers: {} }, 2_000);
        if (answer.status === 200) return;
      } catch {
        // hung: restarted below
      }
    }
    const { dataDir, port } = this.#nimbus;
    await this.#nimbus.kill9();
    this.#restarts += 1;
    this.#nimbus = await startNimbusProcess({ fakeStepMs: 0, args: this.args, dataDir, port });
  }

  async stop(): Promise<void> {
    await this.#nimbus.stop(2_000);
    await this.database?.close();
  }
}

/** Creates, through the API, everything the routes' valid requests name. */
async function createFixtures(url: string): Promise<Fixtures> {
  const admin = await login(url, "admin", ADMIN_PASSWORD, "admin");
  const member = await login(url, "demo", DEMO_PASSWORD, "demo");
  const call = async (caller: Caller, method: string, path: string, body?: unknown, microversion = "2.1") => {
    const response = await request(url, {
      method,
      path,
      body,
      token: caller.token,
      headers: { "OpenStack-API-Version": `compute ${microversion}` },
    });
    if (response.status >= 300)
      throw new Error(`fuzz set-up: ${method} ${path}: ${response.status} ${response.text}`);
    return response.body;
  };
  const compute = (caller: Caller, method: string, path: string, body?: unknown, microversion?: string) =>
    call(caller, method, `/compute/v2.1${path}`, body, microversion);

  // identity: a reader on the demo project, and spare resources that writes may destroy
  const roles: Array<{ id: string; name: string }> = (await call(admin, "GET", "/identity/v3/roles")).roles;
  const roleId = (name: string) => roles.find((r) => r.name === name)!.id;
  const newUser = async (name: string, password?: string) =>
    (await call(admin, "POST", "/identity/v3/users", { user: { name, password, domain_id: "default" } })).user
      .id as string;
  const readerId = await newUser("fuzz-reader", READER_PASSWORD);
  await call(
    admin,
    "PUT",
    `/identity/v3/projects/${member.projectId}/users/${readerId}/roles/${roleId("reader")}`,
  );
  const reader = await login(url, "fuzz-reader", READER_PASSWORD, "demo");
  const spareUser = await newUser("fuzz-spare");
  const spareProject = (
    await call(admin, "POST", "/identity/v3/projects", {
      project: { name: "fuzz-spare", domain_id: "default" },
    })
  ).project.id as string;
  const spareRole = (await call(admin, "POST", "/identity/v3/roles", { role: { name: "fuzz-spare" } })).role
    .id as string;
  const spareTokens: string[] = [];
  for (let i = 0; i < 3; i++) spareTokens.push((await login(url, "demo", DEMO_PASSWORD, "demo")).token);
  const idsOf = (list: Array<{ id: string }>) => list.map((item) => item.id);
  const regions = idsOf((await call(admin, "GET", "/identity/v3/regions")).regions);
  const endpoints = idsOf((await call(admin, "GET", "/identity/v3/endpoints")).endpoints);
  const catalogServices = idsOf((await call(admin, "GET", "/identity/v3/services")).services);

  // image: the bootstrapped ones and a queued one with a tag
  await call(admin, "POST", "/image/v2/images", {
    name: "fuzz-image",
    disk_format: "raw",
    container_format: "bare",
    tags: ["tag1"],
  });
  const imageList: Array<{ id: string; status: string }> = (await call(admin, "GET", "/image/v2/images"))
    .images;
  const bootable = imageList.find((i) => i.status === "active")!.id;
  const images = idsOf(imageList);

  // network: a private network of the member's with a subnet and a port
  const neutronNetwork = (
    await call(member, "POST", "/network/v2.0/networks", { network: { name: "fuzz-net" } })
  ).network.id as string;
  const subnet = (
    await call(member, "POST", "/network/v2.0/subnets", {
      subnet: { network_id: neutronNetwork, cidr: "10.9.0.0/24", ip_version: 4, name: "fuzz-subnet" },
    })
  ).subnet.id as string;
  const port = (await call(member, "POST", "/network/v2.0/ports", { port: { network_id: neutronNetwork } }))
    .port.id as string;

  // compute
  const flavor = (
    await compute(admin, "POST", "/flavors", { flavor: { name: "fuzz-flavor", ram: 64, vcpus: 1, disk: 1 } })
  ).flavor.id as string;
  await compute(admin, "POST", `/flavors/${flavor}/os-extra_specs`, {
    extra_specs: { "hw:cpu_policy": "shared" },
  });
  const flavors = idsOf((await compute(member, "GET", "/flavors")).flavors);
  const smallest = flavors[0]!;
  await compute(member, "POST", "/os-keypairs", { keypair: { name: "fuzz-key" } });
  const group = (
    await compute(member, "POST", "/os-server-groups", {
      server_group: { name: "fuzz-group", policies: ["affinity"] },
    })
  ).server_group.id as string;
  const aggregate = (
    await compute(admin, "POST", "/os-aggregates", { aggregate: { name: "fuzz-aggregate" } })
  ).aggregate.id as number;
  const servers: string[] = [];
  for (const name of ["fuzz-1", "fuzz-2", "fuzz-3", BACKTRACKING_NAME]) {
    const created = await compute(member, "POST", "/servers", {
      // the member has the bootstrap's private network too: name one, as nova then requires
      server: { name, flavorRef: smallest, imageRef: bootable, networks: [{ uuid: neutronNetwork }] },
    });
    servers.push(created.server.id);
  }
  for (const id of servers) {
    await waitUntil(`server ${id} to be ACTIVE`, async () => {
      const shown = await compute(member, "GET", `/servers/${id}`);
      return shown.server.status === "ACTIVE" || undefined;
    });
    await compute(member, "PUT", `/servers/${id}/metadata/key1`, { meta: { key1: "value1" } });
    await compute(member, "PUT", `/servers/${id}/tags/tag1`, undefined, "2.26");
  }
  const actions = await compute(member, "GET", `/servers/${servers[0]}/os-instance-actions`);
  const hypervisors = (await compute(admin, "GET", "/os-hypervisors", undefined, "2.53"))
    .hypervisors as Array<{
    id: string;
    hypervisor_hostname: string;
  }>;
  const services = (await compute(admin, "GET", "/os-services", undefined, "2.53")).services as Array<{
    id: string;
    host: string;
  }>;
  return {
    admin,
    member,
    reader,
    ids: {
      server: servers,
      flavor: [flavor, ...flavors],
      image: images,
      keypair: ["fuzz-key"],
      serverGroup: [group],
      aggregate: [String(aggregate)],
      hypervisor: hypervisors.map((h) => String(h.id)),
      host: [...new Set(services.map((s) => s.host))],
      service: services.map((s) => String(s.id)),
      requestId: actions.instanceActions.map((a: { request_id: string }) => a.request_id),
      metadataKey: ["key1"],
      tag: ["tag1"],
      network: ["private", "public"],
      neutronNetwork: [neutronNetwork],
      subnet: [subnet],
      port: [port],
      networkExtension: ["external-net", "standard-attr-tag"],
      extraSpec: ["hw:cpu_policy"],
      migration: ["1"],
      auditPeriod: ["2024-01-01 00:00:00", "2024-01-01T00:00:00Z"],
      project: [member.projectId, admin.projectId, spareProject],
      user: [member.userId, admin.userId, readerId, spareUser],
      role: roles.map((r) => r.id),
      domain: ["default"],
      region: regions,
      endpoint: endpoints,
      catalogService: catalogServices,
      spareProject: [spareProject],
      spareUser: [spareUser],
      spareRole: [spareRole],
      spareToken: spareTokens,
      version: ["v2.0", "v2.1"],
    },
  };
}
