import type { Config } from "../../config.js";
import type { Db } from "../../store/database.js";
import { IdentityRepository, type TokenWithOwner } from "../../store/identity-repository.js";
import type { Project, Role, User } from "../../store/schema.js";
import type { AuthContext } from "../context.js";
import { Forbidden } from "../errors.js";
import { AuthFailureThrottle } from "./auth-throttle.js";
import { buildCatalog, type CatalogService } from "./catalog.js";
import { DEFAULT_DOMAIN, type Domain, type DomainRef, domainById, findDomain } from "./domain.js";
import {
  AuthenticationFailed,
  DuplicateEntry,
  ForbiddenAction,
  IdentityNotFound,
  RoleAssignmentNotFound,
  TokenNotFound,
  TooManyAuthFailures,
  ValidationError,
} from "./errors.js";
import { AccountLockout } from "./lockout.js";
import { hashPassword, verifyPassword } from "./passwords.js";
import { type EffectiveRole, expandRoles, impliedNames, type RoleRef } from "./roles.js";
import { hashTokenId, newAuditId, newIdentityId, newTokenId } from "./tokens.js";

/** A user or project named by id, or by name within a domain. */
export interface NameOrId {
  id?: string;
  name?: string;
  domain?: DomainRef;
}

/** What to scope a new token to. `default` is the user's default project if usable, else unscoped. */
export type AuthScope =
  | { kind: "default" }
  | { kind: "unscoped" }
  | { kind: "project"; project: NameOrId }
  | { kind: "domain"; domain: DomainRef }
  | { kind: "system" }
  | { kind: "trust" };

/** A `POST /v3/auth/tokens` request in domain terms (the HTTP layer has checked its shape). */
export interface AuthRequest {
  methods: string[];
  password?: { user: NameOrId & { password?: string } };
  token?: { id: string };
  scope: AuthScope;
}

export interface ScopedProject {
  id: string;
  name: string;
  domain: Domain;
}

/** What a token stands for: Keystone's token model, before rendering. */
export interface Token {
  user: { id: string; name: string; domain: Domain };
  /** Null for an unscoped token. */
  project: ScopedProject | null;
  /** Effective roles on the project, implied roles included. */
  roles: RoleRef[];
  methods: string[];
  /** Own audit id first, then the audit id of the token this one was re-scoped from. */
  auditIds: string[];
  issuedAt: string;
  expiresAt: string;
}

export interface IssuedToken {
  /** The token itself: given to the client once, never stored. */
  id: string;
  token: Token;
}

export interface ProjectInput {
  name: string;
  domainId?: string;
  description?: string;
  enabled?: boolean;
  parentId?: string | null;
  isDomain?: boolean;
}

export interface ProjectChanges {
  name?: string;
  description?: string;
  enabled?: boolean;
}

export interface UserInput {
  name: string;
  domainId?: string;
  password?: string | null;
  email?: string | null;
  description?: string | null;
  defaultProjectId?: string | null;
  enabled?: boolean;
}

export type UserChanges = Partial<Omit<UserInput, "domainId">>;

export interface AssignmentFilter {
  userId?: string;
  projectId?: string;
  roleId?: string;
  /** Include implied roles (Keystone's `effective`). */
  effective?: boolean;
}

/** One role assignment; `prior` is set on an effective assignment implied by another role. */
export interface Assignment {
  user: { id: string; name: string; domainId: string };
  project: { id: string; name: string; domainId: string };
  role: RoleRef;
  prior?: RoleRef;
}

export interface IdentityServiceOptions {
  db: Db;
  config: Pick<
    Config,
    | "publicUrl"
    | "tokenTtlSeconds"
    | "lockoutFailureAttempts"
    | "lockoutDurationSeconds"
    | "authFailureLimit"
    | "authFailureWindowSeconds"
  >;
  /** The clock tokens are issued and checked by (tests move it). */
  now?: () => Date;
}

const PURGE_INTERVAL_MS = 60_000;

/**
 * Keystone's domain for nimbus: authentication (password and token methods), tokens
 * (issue, validate, revoke), the catalog, and projects, users, roles and role
 * assignments with Keystone's default rules on who may do what.
 */
export class IdentityService {
  readonly #repo: IdentityRepository;
  readonly #config: IdentityServiceOptions["config"];
  readonly #now: () => Date;
  readonly #lockout: AccountLockout;
  readonly #throttle: AuthFailureThrottle;
  #lastPurge = 0;

  constructor(options: IdentityServiceOptions) {
    this.#repo = new IdentityRepository(options.db);
    this.#config = options.config;
    this.#now = options.now ?? (() => new Date());
    this.#lockout = new AccountLockout(this.#repo, options.config, this.#now);
    this.#throttle = new AuthFailureThrottle(options.config, this.#now);
  }

  // Tokens

  /**
   * Authenticates with every method the request lists and issues a token scoped as asked.
   * `source` is the client's address, which failed passwords are limited per.
   */
  async issueToken(request: AuthRequest, source?: string): Promise<IssuedToken> {
    if (request.methods.length === 0) throw new ValidationError("Expecting to find methods in identity.");
    let user: User | undefined;
    let parent: Token | undefined;
    for (const method of new Set(request.methods)) {
      let who: User;
      if (method === "password") {
        who = await this.#passwordUser(request.password, source);
      } else if (method === "token") {
        if (!request.token) throw new ValidationError("Expecting to find token in identity.");
        const found = await this.#liveToken(request.token.id);
        if (!found) throw new AuthenticationFailed();
        parent = found.token;
        who = found.user;
      } else {
        throw new AuthenticationFailed("Attempted to authenticate with an unsupported method.");
      }
      if (user && user.id !== who.id) throw new AuthenticationFailed("User IDs do not match.");
      user = who;
    }
    if (!user) throw new AuthenticationFailed();

    const project = await this.#scopeProject(user, request.scope);
    const roles = project ? await this.#effectiveRoles(user.id, project.id) : [];
    if (project && roles.length === 0) {
      throw new AuthenticationFailed(`User ${user.id} has no access to project ${project.id}`);
    }

    const now = this.#now();
    // A re-scoped token keeps its parent's expiry and audit chain, as Keystone's do,
    // so that re-scoping can never extend a login.
    const expiresAt =
      parent?.expiresAt ?? new Date(now.getTime() + this.#config.tokenTtlSeconds * 1000).toISOString();
    const auditIds = parent ? [newAuditId(), parent.auditIds.at(-1) ?? newAuditId()] : [newAuditId()];
    const methods = [...new Set([...request.methods, ...(parent?.methods ?? [])])];
    const id = newTokenId();
    await this.#repo.insertToken({
      id_hash: hashTokenId(id),
      user_id: user.id,
      project_id: project?.id ?? null,
      methods: JSON.stringify(methods),
      audit_id: JSON.stringify(auditIds),
      issued_at: now.toISOString(),
      expires_at: expiresAt,
    });
    await this.#maybePurge(now);
    return {
      id,
      token: {
        user: { id: user.id, name: user.name, domain: domainById(user.domain_id) ?? DEFAULT_DOMAIN },
        project: project ? toScopedProject(project) : null,
        roles: roles.map((r) => r.role),
        methods,
        auditIds,
        issuedAt: now.toISOString(),
        expiresAt,
      },
    };
  }

  /**
   * Resolves an X-Auth-Token to who is asking (the `Authenticate` of the HTTP edge);
   * undefined when the token is unknown, expired, revoked or no longer usable.
   * A bound function, so it can be handed to an auth hook as it is.
   */
  readonly authenticate = async (tokenId: string, requestId: string): Promise<AuthContext | undefined> => {
    const found = await this.#liveToken(tokenId);
    if (!found) return undefined;
    const { token } = found;
    const roles = token.roles.map((r) => r.name);
    return {
      userId: token.user.id,
      userName: token.user.name,
      projectId: token.project?.id ?? null,
      projectName: token.project?.name ?? null,
      roles,
      isAdmin: roles.includes("admin"),
      requestId,
    };
  };

  /** The token behind X-Subject-Token; the caller must be an admin or the token's own user. */
  async validateToken(caller: AuthContext, subjectTokenId: string): Promise<Token> {
    const found = await this.#liveToken(subjectTokenId);
    if (!found) throw new TokenNotFound();
    if (!caller.isAdmin && found.user.id !== caller.userId)
      throw new ForbiddenAction("identity:validate_token");
    return found.token;
  }

  /**
   * Revokes the subject token; with `cascade` (Keystone's default) also every token
   * of its audit chain: the one it was re-scoped from and all re-scoped from those.
   */
  async revokeToken(caller: AuthContext, subjectTokenId: string, cascade = true): Promise<void> {
    const found = await this.#liveToken(subjectTokenId);
    if (!found) throw new TokenNotFound();
    if (!caller.isAdmin && found.user.id !== caller.userId)
      throw new ForbiddenAction("identity:revoke_token");
    const hashes = [hashTokenId(subjectTokenId)];
    if (cascade) {
      const chain = found.token.auditIds.at(-1);
      for (const row of await this.#repo.liveTokensOf(found.user.id, this.#now().toISOString())) {
        if (parseJsonList(row.audit_id).at(-1) === chain) hashes.push(row.id_hash);
      }
    }
    await this.#repo.revokeTokens([...new Set(hashes)]);
  }

  /** The service catalog; Keystone gives it to project-scoped tokens only. */
  catalogFor(caller: AuthContext): CatalogService[] {
    if (caller.projectId === null) {
      throw new Forbidden("A project-scoped token is required to produce a service catalog.");
    }
    return this.catalog();
  }

  catalog(): CatalogService[] {
    return buildCatalog(this.#config.publicUrl);
  }

  /** The catalog as services and endpoints to administer (`/v3/services`, `/v3/endpoints`): admins only. */
  listCatalogServices(caller: AuthContext): CatalogService[] {
    requireAdmin(caller, "identity:list_services");
    return this.catalog();
  }

  /** Projects the caller may scope a token to (`/v3/auth/projects`). */
  async projectsForCaller(caller: AuthContext): Promise<Project[]> {
    return this.#repo.projectsOf(caller.userId);
  }

  // Domains: the one default domain, readable by anybody with a token (clients look it up).

  /** Keystone's default lets admins (and system or domain readers, roles nimbus has not) list domains. */
  listDomains(caller: AuthContext, filter: { name?: string; enabled?: boolean } = {}): Domain[] {
    requireAdmin(caller, "identity:list_domains");
    const domains = [DEFAULT_DOMAIN];
    return domains.filter(
      (d) =>
        (filter.name === undefined || findDomain({ name: filter.name }) === d) &&
        (filter.enabled === undefined || d.enabled === filter.enabled),
    );
  }

  getDomain(_caller: AuthContext, id: string): Domain {
    const domain = domainById(id);
    if (!domain) throw new IdentityNotFound("domain", id);
    return domain;
  }

  // Projects

  async listProjects(
    caller: AuthContext,
    filter: { name?: string; domainId?: string; enabled?: boolean } = {},
  ): Promise<Project[]> {
    requireAdmin(caller, "identity:list_projects");
    return this.#repo.projects(filter);
  }

  /** A project; a non-admin may read the project its token is scoped to. */
  /** Whether a project exists (nova checks project ids against Keystone for quotas and flavor access). */
  async projectExists(id: string): Promise<boolean> {
    return (await this.#repo.project(id)) !== undefined;
  }

  async getProject(caller: AuthContext, id: string): Promise<Project> {
    if (!caller.isAdmin && caller.projectId !== id) throw new ForbiddenAction("identity:get_project");
    return this.#project(id);
  }

  async createProject(caller: AuthContext, input: ProjectInput): Promise<Project> {
    requireAdmin(caller, "identity:create_project");
    const domain = this.#domain(input.domainId);
    if (input.isDomain) throw new ValidationError("nimbus does not support projects acting as domains.");
    if (input.parentId !== undefined && input.parentId !== null && input.parentId !== domain.id) {
      throw new ValidationError("nimbus does not support project hierarchies: parent_id must be the domain.");
    }
    const project = {
      id: newIdentityId(),
      name: input.name,
      domain_id: domain.id,
      description: input.description ?? "",
      enabled: input.enabled === false ? 0 : 1,
      created_at: this.#now().toISOString(),
    };
    const result = await this.#repo.insertProject(project);
    if (result === "duplicate") throw new DuplicateEntry("project", input.name, domain.id);
    return project;
  }

  async updateProject(caller: AuthContext, id: string, changes: ProjectChanges): Promise<Project> {
    requireAdmin(caller, "identity:update_project");
    const project = await this.#project(id);
    const update = {
      ...(changes.name === undefined ? {} : { name: changes.name }),
      ...(changes.description === undefined ? {} : { description: changes.description }),
      ...(changes.enabled === undefined ? {} : { enabled: changes.enabled ? 1 : 0 }),
    };
    if (Object.keys(update).length > 0) {
      const result = await this.#repo.updateProject(id, update);
      if (result === "duplicate")
        throw new DuplicateEntry("project", changes.name ?? project.name, project.domain_id);
      if (result === "missing") throw new IdentityNotFound("project", id);
    }
    return this.#project(id);
  }

  async deleteProject(caller: AuthContext, id: string): Promise<void> {
    requireAdmin(caller, "identity:delete_project");
    if (!(await this.#repo.deleteProject(id))) throw new IdentityNotFound("project", id);
  }

  // Users

  async listUsers(
    caller: AuthContext,
    filter: { name?: string; domainId?: string; enabled?: boolean } = {},
  ): Promise<User[]> {
    requireAdmin(caller, "identity:list_users");
    return this.#repo.users(filter);
  }

  /** A user; a non-admin may read itself. */
  async getUser(caller: AuthContext, id: string): Promise<User> {
    if (!caller.isAdmin && caller.userId !== id) throw new ForbiddenAction("identity:get_user");
    return this.#user(id);
  }

  async createUser(caller: AuthContext, input: UserInput): Promise<User> {
    requireAdmin(caller, "identity:create_user");
    const domain = this.#domain(input.domainId);
    if (input.defaultProjectId) await this.#project(input.defaultProjectId);
    const user = {
      id: newIdentityId(),
      name: input.name,
      domain_id: domain.id,
      password_hash: input.password ? await hashPassword(input.password) : null,
      email: input.email ?? null,
      description: input.description ?? null,
      default_project_id: input.defaultProjectId ?? null,
      enabled: input.enabled === false ? 0 : 1,
      created_at: this.#now().toISOString(),
    };
    const result = await this.#repo.insertUser(user);
    if (result === "duplicate") throw new DuplicateEntry("user", input.name, domain.id);
    return user;
  }

  /** Updates a user; a new password or disabling the user revokes the user's tokens. */
  async updateUser(caller: AuthContext, id: string, changes: UserChanges): Promise<User> {
    requireAdmin(caller, "identity:update_user");
    const user = await this.#user(id);
    if (changes.defaultProjectId) await this.#project(changes.defaultProjectId);
    const update = {
      ...(changes.name === undefined ? {} : { name: changes.name }),
      ...(changes.email === undefined ? {} : { email: changes.email }),
      ...(changes.description === undefined ? {} : { description: changes.description }),
      ...(changes.defaultProjectId === undefined ? {} : { default_project_id: changes.defaultProjectId }),
      ...(changes.enabled === undefined ? {} : { enabled: changes.enabled ? 1 : 0 }),
      ...(changes.password === undefined
        ? {}
        : { password_hash: changes.password ? await hashPassword(changes.password) : null }),
    };
    if (Object.keys(update).length > 0) {
      const result = await this.#repo.updateUser(id, update);
      if (result === "duplicate") throw new DuplicateEntry("user", changes.name ?? user.name, user.domain_id);
      if (result === "missing") throw new IdentityNotFound("user", id);
    }
    return this.#user(id);
  }

  async deleteUser(caller: AuthContext, id: string): Promise<void> {
    requireAdmin(caller, "identity:delete_user");
    if (!(await this.#repo.deleteUser(id))) throw new IdentityNotFound("user", id);
  }

  /** Projects a user holds a role on; a non-admin may list its own. */
  async listUserProjects(caller: AuthContext, userId: string): Promise<Project[]> {
    if (!caller.isAdmin && caller.userId !== userId) throw new ForbiddenAction("identity:list_user_projects");
    await this.#user(userId);
    return this.#repo.projectsOf(userId);
  }

  // Roles

  async listRoles(caller: AuthContext, filter: { name?: string } = {}): Promise<Role[]> {
    requireAdmin(caller, "identity:list_roles");
    return this.#repo.roles(filter);
  }

  async getRole(caller: AuthContext, id: string): Promise<Role> {
    requireAdmin(caller, "identity:get_role");
    return this.#role(id);
  }

  async createRole(caller: AuthContext, input: { name: string }): Promise<Role> {
    requireAdmin(caller, "identity:create_role");
    const role = { id: newIdentityId(), name: input.name };
    if ((await this.#repo.insertRole(role)) === "duplicate") throw new DuplicateEntry("role", input.name);
    return role;
  }

  async deleteRole(caller: AuthContext, id: string): Promise<void> {
    requireAdmin(caller, "identity:delete_role");
    if (!(await this.#repo.deleteRole(id))) throw new IdentityNotFound("role", id);
  }

  // Role assignments (grants of a role to a user on a project)

  async grantRole(caller: AuthContext, projectId: string, userId: string, roleId: string): Promise<void> {
    requireAdmin(caller, "identity:create_grant");
    await this.#grantTarget(projectId, userId, roleId);
    await this.#repo.grant(projectId, userId, roleId);
  }

  async revokeRole(caller: AuthContext, projectId: string, userId: string, roleId: string): Promise<void> {
    requireAdmin(caller, "identity:revoke_grant");
    await this.#grantTarget(projectId, userId, roleId);
    if (!(await this.#repo.revoke(projectId, userId, roleId))) {
      throw new RoleAssignmentNotFound(roleId, userId, projectId);
    }
  }

  /** Throws RoleAssignmentNotFound unless the user holds the role on the project directly. */
  async checkGrant(caller: AuthContext, projectId: string, userId: string, roleId: string): Promise<void> {
    requireAdmin(caller, "identity:check_grant");
    await this.#grantTarget(projectId, userId, roleId);
    const granted = await this.#repo.rolesOn(userId, projectId);
    if (!granted.some((r) => r.id === roleId)) throw new RoleAssignmentNotFound(roleId, userId, projectId);
  }

  /** Roles granted directly to the user on the project. */
  async listGrants(caller: AuthContext, projectId: string, userId: string): Promise<Role[]> {
    requireAdmin(caller, "identity:list_grants");
    await this.#project(projectId);
    await this.#user(userId);
    return this.#repo.rolesOn(userId, projectId);
  }

  async listRoleAssignments(caller: AuthContext, filter: AssignmentFilter = {}): Promise<Assignment[]> {
    requireAdmin(caller, "identity:list_role_assignments");
    // Filtering by role happens after expansion: an effective reader may be implied by admin.
    const rows = await this.#repo.assignments({
      userId: filter.userId,
      projectId: filter.projectId,
      roleId: filter.effective ? undefined : filter.roleId,
    });
    const direct: Assignment[] = rows.map((row) => ({
      user: { id: row.user_id, name: row.user_name, domainId: row.user_domain_id },
      project: { id: row.project_id, name: row.project_name, domainId: row.project_domain_id },
      role: { id: row.role_id, name: row.role_name },
    }));
    if (!filter.effective) return direct;

    const byName = new Map((await this.#repo.roles()).map((r) => [r.name, r]));
    const groups = new Map<string, Assignment[]>();
    for (const a of direct) {
      const key = `${a.user.id} ${a.project.id}`;
      groups.set(key, [...(groups.get(key) ?? []), a]);
    }
    const result: Assignment[] = [];
    for (const group of groups.values()) {
      const first = group[0]!;
      for (const effective of expandRoles(
        group.map((a) => a.role),
        (name) => byName.get(name),
      )) {
        result.push({
          user: first.user,
          project: first.project,
          role: effective.role,
          prior: effective.prior,
        });
      }
    }
    return result.filter((a) => filter.roleId === undefined || a.role.id === filter.roleId);
  }

  // Internals

  /** A token that is live and still usable: user enabled, project present, enabled and granted. */
  async #liveToken(tokenId: string): Promise<{ token: Token; user: User } | undefined> {
    if (tokenId === "") return undefined;
    const found = await this.#repo.liveToken(hashTokenId(tokenId), this.#now().toISOString());
    if (!found?.user.enabled) return undefined;
    return this.#describe(found);
  }

  async #describe({
    token,
    user,
    project,
  }: TokenWithOwner): Promise<{ token: Token; user: User } | undefined> {
    let roles: EffectiveRole[] = [];
    if (token.project_id !== null) {
      if (!project?.enabled) return undefined;
      roles = await this.#effectiveRoles(user.id, project.id);
      // Keystone computes roles when it validates, so a token loses what its user lost.
      if (roles.length === 0) return undefined;
    }
    return {
      user,
      token: {
        user: { id: user.id, name: user.name, domain: domainById(user.domain_id) ?? DEFAULT_DOMAIN },
        project: project ? toScopedProject(project) : null,
        roles: roles.map((r) => r.role),
        methods: parseJsonList(token.methods),
        auditIds: parseJsonList(token.audit_id),
        issuedAt: token.issued_at,
        expiresAt: token.expires_at,
      },
    };
  }

  async #effectiveRoles(userId: string, projectId: string): Promise<EffectiveRole[]> {
    const granted = await this.#repo.rolesOn(userId, projectId);
    const names = new Set(granted.flatMap((r) => impliedNames(r.name)));
    for (const r of granted) names.delete(r.name);
    const implied = names.size === 0 ? [] : await this.#repo.roles({ names: [...names] });
    const known = new Map([...granted, ...implied].map((r) => [r.name, r]));
    return expandRoles(granted, (name) => known.get(name));
  }

  /** The password method, under the per-source limit on failures. */
  async #passwordUser(data: AuthRequest["password"], source: string | undefined): Promise<User> {
    if (!data) throw new ValidationError("Expecting to find password in identity.");
    if (source === undefined) return this.#checkPassword(data);
    // Refused before any hashing, so a source past its limit costs no scrypt either.
    const wait = this.#throttle.retryAfter(source);
    if (wait > 0) throw new TooManyAuthFailures(wait);
    try {
      return await this.#checkPassword(data);
    } catch (error) {
      if (error instanceof AuthenticationFailed) this.#throttle.failed(source);
      throw error;
    }
  }

  /** Keystone's order (identity/backends/sql.py authenticate): locked, then password, then enabled. */
  async #checkPassword(data: NonNullable<AuthRequest["password"]>): Promise<User> {
    const ref = data.user;
    let user: User | undefined;
    if (ref.id !== undefined) {
      user = await this.#repo.user(ref.id);
    } else if (ref.name !== undefined) {
      if (!ref.domain) throw new ValidationError("Expecting to find domain in user.");
      const domain = findDomain(ref.domain);
      user = domain ? await this.#repo.userByName(domain.id, ref.name) : undefined;
    } else {
      throw new ValidationError("Expecting to find id or name in user.");
    }
    // Always run one scrypt, so that an unknown or locked-out user answers as slowly as a
    // bad password.
    const ok = await verifyPassword(ref.password ?? "", user?.password_hash);
    if (!user) throw new AuthenticationFailed();
    const lockout = await this.#lockout.check(user.id);
    if (!ok || ref.password === undefined) {
      await this.#lockout.failed(user.id);
      throw new AuthenticationFailed();
    }
    if (!user.enabled) throw new AuthenticationFailed();
    await this.#lockout.succeeded(lockout);
    return user;
  }

  async #scopeProject(user: User, scope: AuthScope): Promise<Project | undefined> {
    switch (scope.kind) {
      case "unscoped":
        return undefined;
      case "default": {
        // Keystone falls back to an unscoped token when the default project is unusable.
        if (!user.default_project_id) return undefined;
        const project = await this.#repo.project(user.default_project_id);
        if (!project?.enabled) return undefined;
        const roles = await this.#repo.rolesOn(user.id, project.id);
        return roles.length > 0 ? project : undefined;
      }
      case "project": {
        const ref = scope.project;
        let project: Project | undefined;
        if (ref.id !== undefined) {
          project = await this.#repo.project(ref.id);
        } else if (ref.name !== undefined) {
          if (!ref.domain) throw new ValidationError("Expecting to find domain in project.");
          const domain = findDomain(ref.domain);
          project = domain ? await this.#repo.projectByName(domain.id, ref.name) : undefined;
        } else {
          throw new ValidationError("Expecting to find id or name in project.");
        }
        if (!project) throw new AuthenticationFailed(`Could not find project: ${ref.id ?? ref.name}.`);
        if (!project.enabled) throw new AuthenticationFailed(`Project ${project.id} is disabled.`);
        return project;
      }
      case "domain":
        throw new AuthenticationFailed(
          `User ${user.id} has no access to domain ${scope.domain.id ?? scope.domain.name}`,
        );
      case "system":
        throw new AuthenticationFailed(`User ${user.id} has no access to the system`);
      case "trust":
        throw new AuthenticationFailed("nimbus does not support trusts.");
    }
  }

  #domain(domainId: string | undefined): Domain {
    if (domainId === undefined) return DEFAULT_DOMAIN;
    const domain = domainById(domainId);
    if (!domain) throw new IdentityNotFound("domain", domainId);
    return domain;
  }

  async #project(id: string): Promise<Project> {
    const project = await this.#repo.project(id);
    if (!project) throw new IdentityNotFound("project", id);
    return project;
  }

  async #user(id: string): Promise<User> {
    const user = await this.#repo.user(id);
    if (!user) throw new IdentityNotFound("user", id);
    return user;
  }

  async #role(id: string): Promise<Role> {
    const role = await this.#repo.role(id);
    if (!role) throw new IdentityNotFound("role", id);
    return role;
  }

  async #grantTarget(projectId: string, userId: string, roleId: string): Promise<void> {
    await this.#project(projectId);
    await this.#user(userId);
    await this.#role(roleId);
  }

  /** Forgets expired tokens now and then (at most once a minute per process). */
  async #maybePurge(now: Date): Promise<void> {
    if (now.getTime() - this.#lastPurge < PURGE_INTERVAL_MS) return;
    this.#lastPurge = now.getTime();
    await this.#repo.purgeTokens(now.toISOString());
  }
}

function requireAdmin(caller: AuthContext, action: string): void {
  if (!caller.isAdmin) throw new ForbiddenAction(action);
}

function toScopedProject(project: Project): ScopedProject {
  return { id: project.id, name: project.name, domain: domainById(project.domain_id) ?? DEFAULT_DOMAIN };
}

function parseJsonList(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.map(String) : [String(value)];
  } catch {
    return [text];
  }
}
