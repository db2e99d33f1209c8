/**
 * End to end: the real `nimbus serve` process driven by the real `openstack` and `nova`
 * command-line clients, configured only by the clouds.yaml nimbus writes. A server's
 * whole life (keypair, boot, list, show, reboot, stop/start, resize + confirm, snapshot,
 * rebuild, delete), flavor and quota administration, version discovery, and project
 * isolation.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import {
  ADMIN_PASSWORD,
  CliError,
  Clients,
  DEMO_PASSWORD,
  haveClients,
  login,
  type NimbusProcess,
  parsePropertyTable,
  parseTable,
  readCloud,
  request,
  startNimbusProcess,
  waitUntil,
} from "./support.js";

const IMAGE = "cirros-0.6.2-x86_64-disk";
const OTHER_PASSWORD = "e2e-other-secret";

let nimbus: NimbusProcess;
let demo: Clients;
let admin: Clients;
let other: Clients;
let demoProjectId: string;

/** Server id of the one server whose life the tests follow. */
let serverId: string;
let snapshotId: string;

/** The CLI's error output, for asserting on a command that must fail. */
async function failure(run: Promise<unknown>): Promise<CliError> {
  try {
    await run;
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error("the command succeeded, but it was expected to fail");
}

/** `openstack server show` until the status is `status` (and no task is running). */
async function waitForStatus(clients: Clients, server: string, status: string, timeoutMs = 30_000) {
  // biome-ignore lint/suspicious/noExplicitAny: openstackclient's output
  let last: any;
  return waitUntil(
    `server ${server} to be ${status}`,
    async () => {
      last = await clients.json(["server", "show", server]);
      return last.status === status && !last["OS-EXT-STS:task_state"] ? last : undefined;
    },
    {
      timeoutMs,
      intervalMs: 250,
      describe: () => ({ status: last?.status, task: last?.["OS-EXT-STS:task_state"] }),
    },
  );
}

/** "a=1, b=2" or {"a": 1} — openstackclient prints dict-valued fields either way. */
function asText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

describe.skipIf(!haveClients)("openstack and nova CLIs against nimbus serve", () => {
  beforeAll(async () => {
    nimbus = await startNimbusProcess({ fakeStepMs: 20 });
    demo = new Clients(nimbus.dataDir, "nimbus");
    admin = new Clients(nimbus.dataDir, "nimbus-admin");
    demoProjectId = (await login(nimbus.url, "demo", DEMO_PASSWORD, "demo")).projectId;
  }, 60_000);

  afterAll(async () => {
    await nimbus?.stop();
  });

  it("writes a clouds.yaml the clients can use", () => {
    const auth = readCloud(nimbus.dataDir, "nimbus");
    expect(auth).toMatchObject({
      username: "demo",
      project_name: "demo",
      auth_url: `${nimbus.url}/identity`,
    });
    expect(readCloud(nimbus.dataDir, "nimbus-admin")).toMatchObject({
      username: "admin",
      project_name: "admin",
    });
  });

  it("openstack versions show: identity, compute (2.1 to 2.104) and image", async () => {
    const versions: Array<Record<string, string | null>> = await demo.json(["versions", "show"]);
    const byType = (type: string) => versions.filter((v) => v["Service Type"] === type);
    const compute = byType("compute").find((v) => v.Status === "CURRENT");
    expect(compute, JSON.stringify(versions)).toMatchObject({
      Version: "2.1",
      "Min Microversion": "2.1",
      "Max Microversion": "2.104",
      "Region Name": "RegionOne",
    });
    expect(compute?.Endpoint).toMatch(new RegExp(`^${nimbus.url}/compute/v2\\.1/?$`));
    expect(byType("identity").map((v) => v.Version)).toContainEqual(expect.stringMatching(/^3\./));
    expect(byType("image").map((v) => v.Version)).toContainEqual(expect.stringMatching(/^2\./));
  }, 60_000);

  it("creates a keypair and lists it with both clients", async () => {
    const privateKey = path.join(nimbus.dataDir, "e2e-key.pem");
    const created = await demo.json(["keypair", "create", "--private-key", privateKey, "e2e-key"]);
    expect(created).toMatchObject({ name: "e2e-key" });
    expect(created.fingerprint).toMatch(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
    expect(fs.readFileSync(privateKey, "utf8")).toMatch(/-----BEGIN (RSA |OPENSSH )?PRIVATE KEY-----/);

    const listed: Array<{ Name: string; Fingerprint: string }> = await demo.json(["keypair", "list"]);
    expect(listed).toContainEqual(
      expect.objectContaining({ Name: "e2e-key", Fingerprint: created.fingerprint }),
    );
    const novaList = parseTable(await demo.nova(["keypair-list"]));
    expect(novaList).toContainEqual(
      expect.objectContaining({ Name: "e2e-key", Fingerprint: created.fingerprint }),
    );
  }, 60_000);

  it("boots a server with --wait, lists and shows it", async () => {
    const created = await demo.json(
      [
        "server",
        "create",
        "--flavor",
        "m1.nano",
        "--image",
        IMAGE,
        "--key-name",
        "e2e-key",
        "--wait",
        "e2e-vm",
      ],
      120_000,
    );
    expect(created).toMatchObject({ name: "e2e-vm", status: "ACTIVE", key_name: "e2e-key" });
    serverId = created.id;
    expect(asText(created.addresses)).toMatch(/private.*10\.0\.\d+\.\d+/);

    const list: Array<Record<string, unknown>> = await demo.json(["server", "list"]);
    const row = list.find((s) => s.ID === serverId);
    expect(row, JSON.stringify(list)).toMatchObject({ Name: "e2e-vm", Status: "ACTIVE" });
    expect(asText(row?.Networks)).toMatch(/private.*10\.0\.\d+\.\d+/);
    expect(asText(row?.Flavor)).toContain("m1.nano");
    expect(asText(row?.Image)).toContain(IMAGE);

    const shown = await demo.json(["server", "show", "e2e-vm"]);
    expect(shown).toMatchObject({ id: serverId, name: "e2e-vm", status: "ACTIVE", key_name: "e2e-key" });
    expect(asText(shown.flavor)).toContain("m1.nano");
    expect(asText(shown.image)).toContain(IMAGE);
    expect(shown["OS-EXT-STS:vm_state"]).toBe("active");
    expect(String(shown["OS-EXT-STS:power_state"])).toMatch(/^(Running|1)$/);

    // A recent microversion through openstackclient, and novaclient (which negotiates 2.latest).
    const recent = await demo.json(["--os-compute-api-version", "2.90", "server", "show", serverId]);
    expect(recent).toMatchObject({ id: serverId, status: "ACTIVE" });
    expect(asText(recent.flavor)).toContain("m1.nano");
    const novaShow = parsePropertyTable(await demo.nova(["show", serverId]));
    expect(novaShow).toMatchObject({ id: serverId, name: "e2e-vm", status: "ACTIVE", key_name: "e2e-key" });
    const novaList = parseTable(await demo.nova(["list"]));
    expect(novaList).toContainEqual(
      expect.objectContaining({ ID: serverId, Name: "e2e-vm", Status: "ACTIVE" }),
    );
  }, 180_000);

  it("reboots (soft with openstack --wait, hard with nova)", async () => {
    await demo.openstack(["server", "reboot", "--wait", "e2e-vm"], 120_000);
    await waitForStatus(demo, serverId, "ACTIVE");
    await demo.nova(["reboot", "--hard", serverId]);
    await waitForStatus(demo, serverId, "ACTIVE");
  }, 180_000);

  it("stops and starts", async () => {
    await demo.openstack(["server", "stop", "e2e-vm"]);
    const stopped = await waitForStatus(demo, serverId, "SHUTOFF");
    expect(stopped["OS-EXT-STS:vm_state"]).toBe("stopped");
    await demo.openstack(["server", "start", "e2e-vm"]);
    await waitForStatus(demo, serverId, "ACTIVE");
  }, 120_000);

  it("resizes and confirms", async () => {
    await demo.openstack(["server", "resize", "--flavor", "m1.micro", "--wait", "e2e-vm"], 120_000);
    const verifying = await waitForStatus(demo, serverId, "VERIFY_RESIZE");
    expect(asText(verifying.flavor)).toContain("m1.micro");
    await demo.openstack(["server", "resize", "confirm", "e2e-vm"]);
    const resized = await waitForStatus(demo, serverId, "ACTIVE");
    expect(asText(resized.flavor)).toContain("m1.micro");
  }, 180_000);

  it("creates an image from the server", async () => {
    const image = await demo.json(
      ["server", "image", "create", "--name", "e2e-snap", "--wait", "e2e-vm"],
      120_000,
    );
    expect(image).toMatchObject({ name: "e2e-snap" });
    snapshotId = image.id;
    const shown = await demo.json(["image", "show", "e2e-snap"]);
    expect(shown).toMatchObject({ id: snapshotId, name: "e2e-snap", status: "active" });
    const images: Array<{ ID: string; Name: string }> = await demo.json(["image", "list"]);
    expect(images.map((i) => i.Name)).toEqual(expect.arrayContaining([IMAGE, "e2e-snap"]));
    await waitForStatus(demo, serverId, "ACTIVE");
  }, 180_000);

  it("rebuilds the server from its snapshot", async () => {
    const rebuilt = await demo.json(
      ["server", "rebuild", "--image", "e2e-snap", "--wait", "e2e-vm"],
      120_000,
    );
    // openstackclient prints the rebuild response (status REBUILD) once the wait is over.
    expect(rebuilt).toMatchObject({ id: serverId });
    expect(asText(rebuilt.image)).toContain(snapshotId);
    const shown = await waitForStatus(demo, serverId, "ACTIVE");
    expect(asText(shown.image)).toContain(snapshotId);
  }, 180_000);

  it("hides the server from a second project", async () => {
    // The project and its user through the identity API (openstackclient's identity
    // commands have their own test beside the identity code).
    const { token } = await login(nimbus.url, "admin", ADMIN_PASSWORD, "admin");
    const identity = (method: string, apiPath: string, body?: unknown) =>
      request(nimbus.url, { method, path: `/identity/v3${apiPath}`, token, body });
    const project = await identity("POST", "/projects", { project: { name: "other", domain_id: "default" } });
    expect(project.status, project.text).toBe(201);
    const user = await identity("POST", "/users", {
      user: {
        name: "other-user",
        password: OTHER_PASSWORD,
        domain_id: "default",
        default_project_id: project.body.project.id,
      },
    });
    expect(user.status, user.text).toBe(201);
    const roles = await identity("GET", "/roles?name=member");
    const grant = await identity(
      "PUT",
      `/projects/${project.body.project.id}/users/${user.body.user.id}/roles/${roles.body.roles[0].id}`,
    );
    expect(grant.status, grant.text).toBe(204);
    // A clouds.yaml of its own for the new user, written beside nimbus's.
    const file = path.join(nimbus.dataDir, "other-clouds.yaml");
    fs.writeFileSync(
      file,
      YAML.stringify({
        clouds: {
          other: {
            auth: {
              auth_url: `${nimbus.url}/identity`,
              username: "other-user",
              password: OTHER_PASSWORD,
              project_name: "other",
              user_domain_name: "Default",
              project_domain_name: "Default",
            },
            region_name: "RegionOne",
            interface: "public",
            identity_api_version: 3,
          },
        },
      }),
    );
    other = new Clients(nimbus.dataDir, "other", file);

    const notFound = /No server with a name or ID of/;
    const [list, show, byName, del, novaList] = await Promise.all([
      other.json(["server", "list"]),
      failure(other.openstack(["server", "show", serverId])),
      failure(other.openstack(["server", "show", "e2e-vm"])),
      failure(other.openstack(["server", "delete", serverId])),
      other.nova(["list"]),
    ]);
    expect(list).toEqual([]);
    expect(show.stderr).toMatch(notFound);
    expect(byName.stderr).toMatch(notFound);
    expect(del.stderr).toMatch(notFound);
    expect(parseTable(novaList)).toEqual([]);

    // The owner still sees it, and an admin sees it across projects only.
    const [mine, all, adminOwn] = await Promise.all([
      demo.json(["server", "show", serverId]),
      admin.json(["server", "list", "--all-projects"]),
      admin.json(["server", "list"]),
    ]);
    expect(mine.status).toBe("ACTIVE");
    expect(all.map((s: { ID: string }) => s.ID)).toContain(serverId);
    expect(adminOwn).toEqual([]);
  }, 180_000);

  it("manages flavors as admin, and refuses it to a member", async () => {
    const created = await admin.json([
      "flavor",
      "create",
      "--ram",
      "256",
      "--disk",
      "1",
      "--vcpus",
      "1",
      "--property",
      "hw:cpu_policy=shared",
      "e2e.flavor",
    ]);
    expect(created).toMatchObject({ name: "e2e.flavor", ram: 256, disk: 1, vcpus: 1 });
    expect(asText(created.properties)).toContain("hw:cpu_policy");

    const [listed, novaListed, refused] = await Promise.all([
      admin.json(["flavor", "list"]),
      admin.nova(["flavor-list"]),
      failure(demo.openstack(["flavor", "create", "--ram", "64", "--disk", "1", "nope"])),
    ]);
    const names = listed.map((f: { Name: string }) => f.Name);
    expect(names).toEqual(
      expect.arrayContaining([
        "m1.nano",
        "m1.micro",
        "m1.tiny",
        "m1.small",
        "m1.medium",
        "m1.large",
        "m1.xlarge",
        "e2e.flavor",
      ]),
    );
    expect(parseTable(novaListed)).toContainEqual(
      expect.objectContaining({ Name: "e2e.flavor", Memory_MiB: "256", VCPUs: "1" }),
    );
    expect(refused.stderr).toMatch(/\b403\b/);

    await admin.openstack(["flavor", "set", "--property", "quota:cpu_shares=512", "e2e.flavor"]);
    await admin.openstack(["flavor", "unset", "--property", "hw:cpu_policy", "e2e.flavor"]);
    await admin.openstack([
      "--os-compute-api-version",
      "2.55",
      "flavor",
      "set",
      "--description",
      "by e2e",
      "e2e.flavor",
    ]);
    const shown = await admin.json(["--os-compute-api-version", "2.55", "flavor", "show", "e2e.flavor"]);
    expect(asText(shown.properties)).toContain("quota:cpu_shares");
    expect(asText(shown.properties)).not.toContain("hw:cpu_policy");
    expect(shown.description).toBe("by e2e");

    await admin.openstack(["flavor", "delete", "e2e.flavor"]);
    const remaining = (await admin.json(["flavor", "list"])).map((f: { Name: string }) => f.Name);
    expect(remaining).not.toContain("e2e.flavor");
  }, 180_000);

  it("shows and sets quotas as admin with openstack and nova", async () => {
    const before = await admin.json(["quota", "show", "demo"]);
    expect(before).toMatchObject({
      instances: expect.any(Number),
      cores: expect.any(Number),
      ram: expect.any(Number),
    });

    await admin.openstack(["quota", "set", "--instances", "15", "--cores", "30", "demo"]);
    expect(await admin.json(["quota", "show", "demo"])).toMatchObject({ instances: 15, cores: 30 });

    await admin.nova(["quota-update", "--ram", "60000", demoProjectId]);
    const novaShow = parsePropertyTable(await admin.nova(["quota-show", "--tenant", demoProjectId]));
    expect(novaShow).toMatchObject({ instances: "15", cores: "30", ram: "60000" });
    expect(parsePropertyTable(await admin.nova(["quota-defaults"]))).toMatchObject({
      instances: expect.any(String),
    });

    // The member sees its new limits, and may not change them.
    const limits: Array<{ Name: string; Value: number }> = await demo.json(["limits", "show", "--absolute"]);
    expect(limits).toContainEqual({ Name: "maxTotalInstances", Value: 15 });
    expect(limits).toContainEqual({ Name: "maxTotalRAMSize", Value: 60000 });
    const refused = await failure(demo.openstack(["quota", "set", "--instances", "100", "demo"]));
    expect(refused.stderr).toMatch(/HTTP 403/);
  }, 180_000);

  it("reports a failed boot as ERROR with a fault", async () => {
    // openstackclient 6.0 reports it but ends with `raise SystemExit`, i.e. exit status 0.
    const output = await demo
      .openstack(
        ["server", "create", "--flavor", "m1.nano", "--image", IMAGE, "--wait", "e2e-nimbus-fake-fail"],
        120_000,
      )
      .catch((error: unknown) => {
        if (error instanceof CliError) return `${error.stdout}${error.stderr}`;
        throw error;
      });
    expect(output).toMatch(/Error creating server/);
    const shown = await demo.json(["server", "show", "e2e-nimbus-fake-fail"]);
    expect(shown.status).toBe("ERROR");
    expect(shown.fault).toMatchObject({ code: expect.any(Number), message: expect.any(String) });
    expect(shown["OS-EXT-STS:task_state"]).toBeNull();
    await demo.openstack(["server", "delete", "--wait", "e2e-nimbus-fake-fail"], 120_000);
  }, 180_000);

  it("deletes the server, its snapshot and the keypair", async () => {
    await demo.openstack(["server", "delete", "--wait", "e2e-vm"], 120_000);
    expect(await demo.json(["server", "list"])).toEqual([]);
    const gone = await failure(demo.openstack(["server", "show", serverId]));
    expect(gone.stderr).toMatch(/No server with a name or ID of/);

    await demo.openstack(["image", "delete", "e2e-snap"]);
    const images: Array<{ Name: string }> = await demo.json(["image", "list"]);
    expect(images.map((i) => i.Name)).toEqual([IMAGE]);

    await demo.openstack(["keypair", "delete", "e2e-key"]);
    expect(await demo.json(["keypair", "list"])).toEqual([]);

    // The process survived all of it.
    expect(nimbus.alive()).toBe(true);
    const root = await request(nimbus.url, { method: "GET", path: "/compute/v2.1" });
    expect(root.status).toBe(200);
    expect(nimbus.output()).not.toMatch(/unexpected error|"level":(50|60)/);
  }, 180_000);
});
