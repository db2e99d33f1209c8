import { isoMicros } from "../../clock.js";
import type { CatalogService } from "../../services/identity/catalog.js";
import { DEFAULT_DOMAIN, type Domain, domainById } from "../../services/identity/domain.js";
import type { Assignment, Token } from "../../services/identity/identity-service.js";
import type { Project, Role, User } from "../../store/schema.js";

/** Keystone's token times: microseconds and a Z (`2026-11-23T09:52:57.123000Z`). */
export function tokenTime(iso: string): string {
  return `${isoMicros(iso)}Z`;
}

function domainRef(domain: Domain) {
  return { id: domain.id, name: domain.name };
}

/** The body of `POST`/`GET /v3/auth/tokens`, as keystone/common/render_token.py builds it. */
export function tokenView(token: Token, catalog: CatalogService[] | null) {
  const body: Record<string, unknown> = {
    methods: token.methods,
    user: {
      domain: domainRef(token.user.domain),
      id: token.user.id,
      name: token.user.name,
      password_expires_at: null,
    },
    audit_ids: token.auditIds,
    expires_at: tokenTime(token.expiresAt),
    issued_at: tokenTime(token.issuedAt),
  };
  if (token.project) {
    body.project = {
      domain: domainRef(token.project.domain),
      id: token.project.id,
      name: token.project.name,
    };
    body.is_domain = false;
    body.roles = token.roles.map((r) => ({ id: r.id, name: r.name }));
    if (catalog) body.catalog = catalog;
  }
  return { token: body };
}

/** Links of a collection: Keystone always gives self, previous and next (it does not paginate). */
export function collectionLinks(self: string) {
  return { self, previous: null, next: null };
}

export function domainView(domain: Domain, v3: string) {
  return {
    id: domain.id,
    name: domain.name,
    description: domain.description,
    enabled: domain.enabled,
    tags: [],
    options: {},
    links: { self: `${v3}/domains/${domain.id}` },
  };
}

export function projectView(project: Project, v3: string) {
  return {
    id: project.id,
    name: project.name,
    domain_id: project.domain_id,
    description: project.description,
    enabled: project.enabled === 1,
    // Keystone makes a domain the parent of its top-level projects.
    parent_id: project.domain_id,
    is_domain: false,
    tags: [],
    options: {},
    links: { self: `${v3}/projects/${project.id}` },
  };
}

export function userView(user: User, v3: string) {
  return {
    id: user.id,
    name: user.name,
    domain_id: user.domain_id,
    enabled: user.enabled === 1,
    password_expires_at: null,
    options: {},
    // Keystone shows these "extra" attributes only when they are set.
    ...(user.default_project_id === null ? {} : { default_project_id: user.default_project_id }),
    ...(user.email === null ? {} : { email: user.email }),
    ...(user.description === null ? {} : { description: user.description }),
    links: { self: `${v3}/users/${user.id}` },
  };
}

export function roleView(role: Role, v3: string) {
  return {
    id: role.id,
    name: role.name,
    domain_id: null,
    description: null,
    options: {},
    links: { self: `${v3}/roles/${role.id}` },
  };
}

/** One entry of `GET /v3/role_assignments` (keystone/api/role_assignments.py `_format_entity`). */
export function assignmentView(a: Assignment, v3: string, includeNames: boolean) {
  const granted = a.prior ?? a.role;
  const view: Record<string, unknown> = {
    scope: {
      project: includeNames
        ? {
            id: a.project.id,
            name: a.project.name,
            domain: domainRef(domainById(a.project.domainId) ?? DEFAULT_DOMAIN),
          }
        : { id: a.project.id },
    },
    user: includeNames
      ? { id: a.user.id, name: a.user.name, domain: domainRef(domainById(a.user.domainId) ?? DEFAULT_DOMAIN) }
      : { id: a.user.id },
    role: includeNames ? { id: a.role.id, name: a.role.name } : { id: a.role.id },
    links: {
      assignment: `${v3}/projects/${a.project.id}/users/${a.user.id}/roles/${granted.id}`,
      // Keystone writes this link with the two ids in this order.
      ...(a.prior ? { prior_role: `${v3}/prior_role/${a.role.id}/implies/${a.prior.id}` } : {}),
    },
  };
  return view;
}

export function serviceView(service: CatalogService, v3: string, description: string | undefined) {
  return {
    id: service.id,
    type: service.type,
    name: service.name,
    description: description ?? "",
    enabled: true,
    links: { self: `${v3}/services/${service.id}` },
  };
}

export function endpointView(
  service: CatalogService,
  endpoint: CatalogService["endpoints"][number],
  v3: string,
) {
  return {
    id: endpoint.id,
    interface: endpoint.interface,
    region: endpoint.region,
    region_id: endpoint.region_id,
    service_id: service.id,
    url: endpoint.url,
    enabled: true,
    links: { self: `${v3}/endpoints/${endpoint.id}` },
  };
}
