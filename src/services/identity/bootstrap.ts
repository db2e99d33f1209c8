import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Config } from "../../config.js";
import type { Db } from "../../store/database.js";
import { IdentityRepository } from "../../store/identity-repository.js";
import type { User } from "../../store/schema.js";
import { renderCloudsYaml, writeCloudsYaml } from "./clouds-yaml.js";
import { DEFAULT_DOMAIN } from "./domain.js";
import { hashPassword, verifyPassword } from "./passwords.js";
import { BUILTIN_ROLES } from "./roles.js";
import { newIdentityId } from "./tokens.js";

/** One bootstrap account. `password` is known only when this start created the user or the environment gave it. */
export interface BootstrapAccount {
  userId: string;
  userName: string;
  projectId: string;
  projectName: string;
  role: string;
  /** Null when the user existed already and no matching NIMBUS_*_PASSWORD was given: it cannot be recovered. */
  password: string | null;
  /** Whether this call created the user. */
  created: boolean;
  /** Whether this call made the password up (no NIMBUS_*_PASSWORD gave it): the operator learns it only from us. */
  generated: boolean;
}

export interface BootstrapResult {
  admin: BootstrapAccount;
  demo: BootstrapAccount;
  /** Both accounts, admin first (for printing the credentials). */
  accounts: BootstrapAccount[];
  cloudsYaml: {
    path: string;
    /** Whether this call wrote the file. */
    written: boolean;
    /** Why it was not written, when it was not. */
    reason?: string;
  };
}

export interface BootstrapOptions {
  /** Where NIMBUS_ADMIN_PASSWORD and NIMBUS_DEMO_PASSWORD are read; process.env by default. */
  env?: Record<string, string | undefined>;
}

interface AccountSpec {
  key: "admin" | "demo";
  cloud: string;
  userName: string;
  projectName: string;
  projectDescription: string;
  role: string;
  envPassword: string;
}

const ACCOUNTS: readonly AccountSpec[] = [
  {
    key: "admin",
    cloud: "nimbus-admin",
    userName: "admin",
    projectName: "admin",
    projectDescription: "Bootstrap project for initializing the cloud.",
    role: "admin",
    envPassword: "NIMBUS_ADMIN_PASSWORD",
  },
  {
    key: "demo",
    cloud: "nimbus",
    userName: "demo",
    projectName: "demo",
    projectDescription: "Demo project.",
    role: "member",
    envPassword: "NIMBUS_DEMO_PASSWORD",
  },
];

/** Another process bootstrapped at the same moment; running again sees its rows. */
class BootstrapRace extends Error {}

/**
 * Makes a fresh cloud usable, once: the roles admin, member and reader; an admin
 * project and user (admin role) and a demo project and user (member role), with the
 * passwords from NIMBUS_ADMIN_PASSWORD / NIMBUS_DEMO_PASSWORD or random ones; and
 * `<dataDir>/clouds.yaml` with the clouds `nimbus` (demo) and `nimbus-admin`.
 * The catalog needs no rows: it is derived from the public URL.
 *
 * Idempotent: what exists is left alone (an existing user keeps its password and
 * roles). Only password hashes are stored, so clouds.yaml is written when the users
 * are created; if it goes missing later it is re-written only when the environment
 * gives both passwords and they match, otherwise it stays missing and `reason` says
 * why (reset a password through the API and write the file by hand).
 */
export async function bootstrapIdentity(
  db: Db,
  config: Pick<Config, "dataDir" | "publicUrl">,
  options: BootstrapOptions = {},
): Promise<BootstrapResult> {
  const env = options.env ?? process.env;
  let accounts: BootstrapAccount[];
  try {
    accounts = await ensureAccounts(new IdentityRepository(db), env);
  } catch (error) {
    if (!(error instanceof BootstrapRace)) throw error;
    accounts = await ensureAccounts(new IdentityRepository(db), env);
  }
  const [admin, demo] = accounts as [BootstrapAccount, BootstrapAccount];

  const file = path.join(config.dataDir, "clouds.yaml");
  const anyCreated = accounts.some((a) => a.created);
  let cloudsYaml: BootstrapResult["cloudsYaml"];
  if (!anyCreated && fs.existsSync(file)) {
    cloudsYaml = { path: file, written: false, reason: "it exists and the users were not created now" };
  } else if (accounts.some((a) => a.password === null)) {
    cloudsYaml = {
      path: file,
      written: false,
      reason:
        "the users exist and their passwords cannot be recovered from the database; " +
        "set NIMBUS_ADMIN_PASSWORD and NIMBUS_DEMO_PASSWORD to their passwords to re-write it",
    };
  } else {
    const clouds = Object.fromEntries(
      ACCOUNTS.map((spec, i) => {
        const account = accounts[i]!;
        return [
          spec.cloud,
          { userName: account.userName, password: account.password!, projectName: account.projectName },
        ];
      }),
    );
    await writeCloudsYaml(file, renderCloudsYaml(config.publicUrl, clouds));
    cloudsYaml = { path: file, written: true };
  }
  return { admin, demo, accounts, cloudsYaml };
}

async function ensureAccounts(
  repo: IdentityRepository,
  env: Record<string, string | undefined>,
): Promise<BootstrapAccount[]> {
  // Hash outside the transaction (scrypt is slow), and only for users still missing.
  const existing = await Promise.all(
    ACCOUNTS.map((spec) => repo.userByName(DEFAULT_DOMAIN.id, spec.userName)),
  );
  const passwords = await Promise.all(
    ACCOUNTS.map(async (spec, i) => {
      const given = env[spec.envPassword] || undefined;
      const user = existing[i];
      if (user) {
        return {
          plain: given && (await verifyPassword(given, user.password_hash)) ? given : null,
          hash: null,
          generated: false,
        };
      }
      const plain = given ?? randomBytes(16).toString("base64url");
      return { plain, hash: await hashPassword(plain), generated: given === undefined };
    }),
  );

  return repo.transaction(async (trx) => {
    const now = new Date().toISOString();
    const roles = new Map<string, string>();
    for (const name of BUILTIN_ROLES) {
      let role = await repo.roleByName(name, trx);
      if (!role) {
        role = { id: newIdentityId(), name };
        if ((await repo.insertRole(role, trx)) === "duplicate") throw new BootstrapRace();
      }
      roles.set(name, role.id);
    }

    const accounts: BootstrapAccount[] = [];
    for (const [i, spec] of ACCOUNTS.entries()) {
      let project = await repo.projectByName(DEFAULT_DOMAIN.id, spec.projectName, trx);
      if (!project) {
        project = {
          id: newIdentityId(),
          name: spec.projectName,
          domain_id: DEFAULT_DOMAIN.id,
          description: spec.projectDescription,
          enabled: 1,
          created_at: now,
        };
        if ((await repo.insertProject(project, trx)) === "duplicate") throw new BootstrapRace();
      }

      let user: User | undefined = await repo.userByName(DEFAULT_DOMAIN.id, spec.userName, trx);
      const created = !user;
      const { plain, hash, generated } = passwords[i]!;
      if (!user) {
        if (hash === null) throw new BootstrapRace();
        user = {
          id: newIdentityId(),
          name: spec.userName,
          domain_id: DEFAULT_DOMAIN.id,
          password_hash: hash,
          email: null,
          description: null,
          default_project_id: project.id,
          enabled: 1,
          created_at: now,
        };
        if ((await repo.insertUser(user, trx)) === "duplicate") throw new BootstrapRace();
        await repo.grant(project.id, user.id, roles.get(spec.role)!, trx);
      }
      accounts.push({
        userId: user.id,
        userName: user.name,
        projectId: project.id,
        projectName: project.name,
        role: spec.role,
        password: plain,
        created,
        generated: created && generated,
      });
    }
    return accounts;
  });
}

/**
 * What the operator's terminal is told of the accounts this start created, in plain text,
 * or undefined when it created none. A generated password is shown here once and never
 * again (clouds.yaml keeps it); it is not for the structured log, which is shipped and
 * kept. A password the environment gave is not echoed: the operator has it already.
 */
export function createdAccountsNotice(result: BootstrapResult): string | undefined {
  const created = result.accounts.filter((account) => account.created);
  if (created.length === 0) return undefined;
  const lines = created.map((account) => {
    const spec = ACCOUNTS.find((s) => s.userName === account.userName)!;
    const password = account.generated ? `password ${account.password}` : `password from ${spec.envPassword}`;
    return `nimbus: created user ${account.userName} on project ${account.projectName}, ${password}\n`;
  });
  if (created.some((account) => account.generated)) {
    const kept = result.cloudsYaml.written ? `; ${result.cloudsYaml.path} keeps it` : "";
    lines.push(`nimbus: a generated password is shown this once${kept}\n`);
  }
  return lines.join("");
}
