import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../test/nimbus-child.js";
import { ADMIN_PASSWORD, type IdentityHarness, identityHarness } from "./test-support.js";

const OPENSTACK = "/usr/bin/openstack";
const run = promisify(execFile);

/** The real python-openstackclient against a real listener, configured only by what we pass. */
describe.skipIf(!fs.existsSync(OPENSTACK))("openstackclient against /identity", () => {
  let h: IdentityHarness;
  let authUrl: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    const port = await freePort();
    h = await identityHarness({ config: { host: "127.0.0.1", port, publicUrl: `http://127.0.0.1:${port}` } });
    await h.app.listen({ host: "127.0.0.1", port });
    authUrl = `http://127.0.0.1:${port}/identity`;
    // No OS_* variable leaks in from the environment; Debian's python comes first.
    env = {
      PATH: "/usr/bin:/bin",
      HOME: h.config.dataDir,
      LANG: "C.UTF-8",
      OS_CLIENT_CONFIG_FILE: path.join(h.config.dataDir, "clouds.yaml"),
    };
  });
  afterAll(async () => {
    await h?.close();
  });

  const openstack = async (...args: string[]) => {
    const { stdout } = await run(OPENSTACK, args, { env, timeout: 60_000 });
    return stdout;
  };
  const json = async (...args: string[]) => JSON.parse(await openstack(...args, "-f", "json"));
  const asUser = (user: string, password: string, project: string) => [
    "--os-auth-url",
    authUrl,
    "--os-identity-api-version",
    "3",
    "--os-username",
    user,
    "--os-password",
    password,
    "--os-project-name",
    project,
    "--os-user-domain-name",
    "Default",
    "--os-project-domain-name",
    "Default",
  ];

  it("issues tokens through the generated clouds.yaml and through explicit options", async () => {
    const demo = await json("--os-cloud", "nimbus", "token", "issue");
    expect(demo).toMatchObject({ project_id: h.boot.demo.projectId, user_id: h.boot.demo.userId });
    expect(await h.identity.authenticate(demo.id, "req-cli")).toMatchObject({ userName: "demo" });

    const admin = await json(...asUser("admin", ADMIN_PASSWORD, "admin"), "token", "issue");
    expect(admin).toMatchObject({ project_id: h.boot.admin.projectId, user_id: h.boot.admin.userId });

    await expect(openstack(...asUser("demo", "wrong", "demo"), "token", "issue")).rejects.toMatchObject({
      stderr: expect.stringContaining("HTTP 401"),
    });
  }, 120_000);

  it("lets an admin create a project and a user, grant a role and list assignments", async () => {
    const admin = ["--os-cloud", "nimbus-admin"];
    const project = await json(
      ...admin,
      "project",
      "create",
      "cli-project",
      "--description",
      "made by the CLI",
    );
    expect(project).toMatchObject({ name: "cli-project", domain_id: "default", enabled: true });

    const user = await json(
      ...admin,
      "user",
      "create",
      "--project",
      "cli-project",
      "--password",
      "cli-pw",
      "cli-user",
    );
    expect(user).toMatchObject({ name: "cli-user", default_project_id: project.id, enabled: true });

    await openstack(...admin, "role", "add", "--project", "cli-project", "--user", "cli-user", "member");
    const assignments = await json(
      ...admin,
      "role",
      "assignment",
      "list",
      "--project",
      "cli-project",
      "--names",
    );
    expect(assignments).toEqual([
      expect.objectContaining({ Role: "member", User: "cli-user@Default", Project: "cli-project@Default" }),
    ]);

    const projects = await json(...admin, "project", "list");
    expect(projects.map((p: { Name: string }) => p.Name).sort()).toEqual(["admin", "cli-project", "demo"]);

    const token = await json(...asUser("cli-user", "cli-pw", "cli-project"), "token", "issue");
    expect(token).toMatchObject({ project_id: project.id, user_id: user.id });

    // A member sees its own projects only (openstackclient falls back to /users/{id}/projects).
    const mine = await json("--os-cloud", "nimbus", "project", "list");
    expect(mine.map((p: { Name: string }) => p.Name)).toEqual(["demo"]);

    await openstack(...admin, "user", "delete", "cli-user");
    await openstack(...admin, "project", "delete", "cli-project");
    expect((await json(...admin, "project", "list")).map((p: { Name: string }) => p.Name).sort()).toEqual([
      "admin",
      "demo",
    ]);
  }, 180_000);

  it("revokes a token so that it is refused at once", async () => {
    const { id } = await json("--os-cloud", "nimbus", "token", "issue");
    await openstack("--os-cloud", "nimbus", "token", "revoke", id);
    expect(await h.identity.authenticate(id, "req-cli")).toBeUndefined();
  }, 120_000);
});
