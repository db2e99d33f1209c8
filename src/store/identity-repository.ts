import { sql, type Transaction, type Updateable } from "kysely";
import type { Db } from "./database.js";
import type {
  Database,
  Project,
  ProjectTable,
  Role,
  TokenRow,
  User,
  UserAuthFailureRow,
  UserTable,
} from "./schema.js";

type Executor = Db | Transaction<Database>;

export type NewProject = Omit<Project, "description" | "enabled"> & {
  description?: string;
  enabled?: number;
};
export type NewUser = Omit<User, "enabled"> & { enabled?: number };

export interface ProjectFilter {
  name?: string;
  domainId?: string;
  enabled?: boolean;
  ids?: string[];
}

export interface UserFilter {
  name?: string;
  domainId?: string;
  enabled?: boolean;
}

export interface AssignmentFilter {
  userId?: string;
  projectId?: string;
  roleId?: string;
}

/** A role assignment with the names of its user, project and role (one join, for include_names). */
export interface AssignmentRow {
  project_id: string;
  project_name: string;
  project_domain_id: string;
  user_id: string;
  user_name: string;
  user_domain_id: string;
  role_id: string;
  role_name: string;
}

/** A live token with what validating it needs: its user and, when scoped, its project. */
export interface TokenWithOwner {
  token: TokenRow;
  user: User;
  project: Project | undefined;
}

/** What a write that may hit a unique name reports, instead of throwing. */
export type WriteResult = "done" | "duplicate" | "missing";

/**
 * Projects, users, roles, role assignments and tokens (Keystone's tables).
 * Token rows hold only the SHA-256 of the token; `methods` and `audit_id` hold JSON
 * arrays (the audit chain as Keystone renders `audit_ids`: own id first, then the
 * id of the token it was re-scoped from, if any).
 */
export class IdentityRepository {
  constructor(private readonly db: Db) {}

  /** Runs `work` in one transaction. */
  transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(work);
  }

  // Projects

  async insertProject(project: NewProject, executor: Executor = this.db): Promise<WriteResult> {
    return insertUnique(() => executor.insertInto("projects").values(project).execute());
  }

  async project(id: string, executor: Executor = this.db): Promise<Project | undefined> {
    return executor.selectFrom("projects").selectAll().where("id", "=", id).executeTakeFirst();
  }

  async projectByName(
    domainId: string,
    name: string,
    executor: Executor = this.db,
  ): Promise<Project | undefined> {
    return executor
      .selectFrom("projects")
      .selectAll()
      .where("domain_id", "=", domainId)
      .where("name", "=", name)
      .executeTakeFirst();
  }

  async projects(filter: ProjectFilter = {}): Promise<Project[]> {
    let query = this.db.selectFrom("projects").selectAll();
    if (filter.name !== undefined) query = query.where("name", "=", filter.name);
    if (filter.domainId !== undefined) query = query.where("domain_id", "=", filter.domainId);
    if (filter.enabled !== undefined) query = query.where("enabled", "=", filter.enabled ? 1 : 0);
    if (filter.ids !== undefined) {
      if (filter.ids.length === 0) return [];
      query = query.where("id", "in", filter.ids);
    }
    return query.orderBy("name").orderBy("id").execute();
  }

  /**
   * Updates the project; disabling it revokes the tokens scoped to it, so that enabling it
   * again lets its users log in anew but does not revive tokens issued before.
   */
  async updateProject(id: string, changes: Updateable<ProjectTable>): Promise<WriteResult> {
    return updateUnique(() =>
      this.transaction(async (trx) => {
        const result = await trx.updateTable("projects").set(changes).where("id", "=", id).executeTakeFirst();
        if (changes.enabled === 0) {
          await trx.updateTable("tokens").set({ revoked: 1 }).where("project_id", "=", id).execute();
        }
        return result;
      }),
    );
  }

  /** Deletes the project (its role assignments go with it) and revokes the tokens scoped to it. */
  async deleteProject(id: string): Promise<boolean> {
    return this.transaction(async (trx) => {
      await trx.updateTable("tokens").set({ revoked: 1 }).where("project_id", "=", id).execute();
      const result = await trx.deleteFrom("projects").where("id", "=", id).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    });
  }

  // Users

  async insertUser(user: NewUser, executor: Executor = this.db): Promise<WriteResult> {
    return insertUnique(() => executor.insertInto("users").values(user).execute());
  }

  async user(id: string, executor: Executor = this.db): Promise<User | undefined> {
    return executor.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
  }

  async userByName(domainId: string, name: string, executor: Executor = this.db): Promise<User | undefined> {
    return executor
      .selectFrom("users")
      .selectAll()
      .where("domain_id", "=", domainId)
      .where("name", "=", name)
      .executeTakeFirst();
  }

  async users(filter: UserFilter = {}): Promise<User[]> {
    let query = this.db.selectFrom("users").selectAll();
    if (filter.name !== undefined) query = query.where("name", "=", filter.name);
    if (filter.domainId !== undefined) query = query.where("domain_id", "=", filter.domainId);
    if (filter.enabled !== undefined) query = query.where("enabled", "=", filter.enabled ? 1 : 0);
    return query.orderBy("name").orderBy("id").execute();
  }

  /**
   * Updates the user; a changed password or a disabled user revokes the user's tokens, as
   * Keystone does. Enabling the user clears its failed authentications (Keystone's way to
   * unlock a locked-out user).
   */
  async updateUser(id: string, changes: Updateable<UserTable>): Promise<WriteResult> {
    return updateUnique(() =>
      this.transaction(async (trx) => {
        const result = await trx.updateTable("users").set(changes).where("id", "=", id).executeTakeFirst();
        if (changes.password_hash !== undefined || changes.enabled === 0) {
          await trx.updateTable("tokens").set({ revoked: 1 }).where("user_id", "=", id).execute();
        }
        if (changes.enabled === 1) await this.clearAuthFailures(id, trx);
        return result;
      }),
    );
  }

  /** Deletes the user; its assignments and tokens go with it (foreign keys cascade). */
  async deleteUser(id: string): Promise<boolean> {
    return this.transaction(async (trx) => {
      await trx.deleteFrom("tokens").where("user_id", "=", id).execute();
      const result = await trx.deleteFrom("users").where("id", "=", id).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    });
  }

  // Failed password authentications (Keystone's lockout)

  async authFailures(userId: string): Promise<UserAuthFailureRow | undefined> {
    return this.db
      .selectFrom("user_auth_failures")
      .selectAll()
      .where("user_id", "=", userId)
      .executeTakeFirst();
  }

  /** Counts one more failure at `at`, in one statement, so that concurrent failures all count. */
  async recordAuthFailure(userId: string, at: string): Promise<void> {
    await this.db
      .insertInto("user_auth_failures")
      .values({ user_id: userId, failure_count: 1, last_failure_at: at })
      .onConflict((oc) =>
        oc.column("user_id").doUpdateSet({
          failure_count: sql<number>`user_auth_failures.failure_count + 1`,
          last_failure_at: at,
        }),
      )
      .execute();
  }

  async clearAuthFailures(userId: string, executor: Executor = this.db): Promise<void> {
    await executor.deleteFrom("user_auth_failures").where("user_id", "=", userId).execute();
  }

  /**
   * Forgets the failures of a lockout that has ended, unless a failure came after the one
   * that ended it: a failure another process just counted must not be erased.
   */
  async endLockout(userId: string, lastFailureAt: string): Promise<void> {
    await this.db
      .deleteFrom("user_auth_failures")
      .where("user_id", "=", userId)
      .where("last_failure_at", "=", lastFailureAt)
      .execute();
  }

  // Roles

  async insertRole(role: Role, executor: Executor = this.db): Promise<WriteResult> {
    return insertUnique(() => executor.insertInto("roles").values(role).execute());
  }

  async role(id: string): Promise<Role | undefined> {
    return this.db.selectFrom("roles").selectAll().where("id", "=", id).executeTakeFirst();
  }

  async roleByName(name: string, executor: Executor = this.db): Promise<Role | undefined> {
    return executor.selectFrom("roles").selectAll().where("name", "=", name).executeTakeFirst();
  }

  async roles(filter: { name?: string; names?: string[] } = {}): Promise<Role[]> {
    let query = this.db.selectFrom("roles").selectAll();
    if (filter.name !== undefined) query = query.where("name", "=", filter.name);
    if (filter.names !== undefined) {
      if (filter.names.length === 0) return [];
      query = query.where("name", "in", filter.names);
    }
    return query.orderBy("name").execute();
  }

  /**
   * Deletes the role (its assignments go with it) and revokes the tokens of every user on
   * every project the role was granted on: token rows do not record their roles, and a
   * later grant of a new role must not reach a token issued before.
   */
  async deleteRole(id: string): Promise<boolean> {
    return this.transaction(async (trx) => {
      await trx
        .updateTable("tokens")
        .set({ revoked: 1 })
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom("role_assignments as ra")
              .select("ra.role_id")
              .where("ra.role_id", "=", id)
              .whereRef("ra.user_id", "=", "tokens.user_id")
              .whereRef("ra.project_id", "=", "tokens.project_id"),
          ),
        )
        .execute();
      const result = await trx.deleteFrom("roles").where("id", "=", id).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    });
  }

  // Role assignments (project scope only)

  /** Grants the role; granting it twice is not an error. */
  async grant(
    projectId: string,
    userId: string,
    roleId: string,
    executor: Executor = this.db,
  ): Promise<void> {
    await executor
      .insertInto("role_assignments")
      .values({ project_id: projectId, user_id: userId, role_id: roleId })
      .onConflict((oc) => oc.columns(["project_id", "user_id", "role_id"]).doNothing())
      .execute();
  }

  /**
   * Deletes the assignment and revokes the user's tokens on the project (all of them: token
   * rows do not record their roles), so that granting the role again does not revive them.
   */
  async revoke(projectId: string, userId: string, roleId: string): Promise<boolean> {
    return this.transaction(async (trx) => {
      const result = await trx
        .deleteFrom("role_assignments")
        .where("project_id", "=", projectId)
        .where("user_id", "=", userId)
        .where("role_id", "=", roleId)
        .executeTakeFirst();
      if (Number(result.numDeletedRows) !== 1) return false;
      await trx
        .updateTable("tokens")
        .set({ revoked: 1 })
        .where("user_id", "=", userId)
        .where("project_id", "=", projectId)
        .execute();
      return true;
    });
  }

  async assignments(filter: AssignmentFilter = {}): Promise<AssignmentRow[]> {
    let query = this.db
      .selectFrom("role_assignments as ra")
      .innerJoin("projects as p", "p.id", "ra.project_id")
      .innerJoin("users as u", "u.id", "ra.user_id")
      .innerJoin("roles as r", "r.id", "ra.role_id")
      .select([
        "ra.project_id",
        "p.name as project_name",
        "p.domain_id as project_domain_id",
        "ra.user_id",
        "u.name as user_name",
        "u.domain_id as user_domain_id",
        "ra.role_id",
        "r.name as role_name",
      ]);
    if (filter.userId !== undefined) query = query.where("ra.user_id", "=", filter.userId);
    if (filter.projectId !== undefined) query = query.where("ra.project_id", "=", filter.projectId);
    if (filter.roleId !== undefined) query = query.where("ra.role_id", "=", filter.roleId);
    return query.orderBy("p.name").orderBy("u.name").orderBy("r.name").execute();
  }

  /** The roles granted directly to the user on the project. */
  async rolesOn(userId: string, projectId: string): Promise<Role[]> {
    return this.db
      .selectFrom("role_assignments as ra")
      .innerJoin("roles as r", "r.id", "ra.role_id")
      .select(["r.id", "r.name"])
      .where("ra.user_id", "=", userId)
      .where("ra.project_id", "=", projectId)
      .orderBy("r.name")
      .execute();
  }

  /** Projects the user holds at least one role on. */
  async projectsOf(userId: string): Promise<Project[]> {
    const ids = this.db.selectFrom("role_assignments").select("project_id").where("user_id", "=", userId);
    return this.db
      .selectFrom("projects")
      .selectAll()
      .where("id", "in", ids)
      .orderBy("name")
      .orderBy("id")
      .execute();
  }

  // Tokens

  async insertToken(token: Omit<TokenRow, "revoked">): Promise<void> {
    await this.db.insertInto("tokens").values(token).execute();
  }

  /** The token, if it is neither revoked nor expired at `now`, with its user and project. */
  async liveToken(idHash: string, now: string): Promise<TokenWithOwner | undefined> {
    const token = await this.db
      .selectFrom("tokens")
      .selectAll()
      .where("id_hash", "=", idHash)
      .where("revoked", "=", 0)
      .where("expires_at", ">", now)
      .executeTakeFirst();
    if (!token) return undefined;
    const user = await this.user(token.user_id);
    if (!user) return undefined;
    const project = token.project_id === null ? undefined : await this.project(token.project_id);
    return { token, user, project };
  }

  /** Live tokens of a user (what a chain revocation looks through). */
  async liveTokensOf(userId: string, now: string): Promise<TokenRow[]> {
    return this.db
      .selectFrom("tokens")
      .selectAll()
      .where("user_id", "=", userId)
      .where("revoked", "=", 0)
      .where("expires_at", ">", now)
      .execute();
  }

  async revokeTokens(idHashes: string[]): Promise<void> {
    if (idHashes.length === 0) return;
    await this.db.updateTable("tokens").set({ revoked: 1 }).where("id_hash", "in", idHashes).execute();
  }

  /** Forgets tokens that expired before `before`; returns how many. */
  async purgeTokens(before: string): Promise<number> {
    const result = await this.db.deleteFrom("tokens").where("expires_at", "<", before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/** A unique or primary-key violation, as SQLite (better-sqlite3) and PostgreSQL (pg) report it. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "23505";
}

async function insertUnique(insert: () => Promise<unknown>): Promise<WriteResult> {
  try {
    await insert();
    return "done";
  } catch (error) {
    if (isUniqueViolation(error)) return "duplicate";
    throw error;
  }
}

async function updateUnique(update: () => Promise<{ numUpdatedRows: bigint }>): Promise<WriteResult> {
  try {
    const result = await update();
    return Number(result.numUpdatedRows) === 1 ? "done" : "missing";
  } catch (error) {
    if (isUniqueViolation(error)) return "duplicate";
    throw error;
  }
}
