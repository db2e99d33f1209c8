/**
 * The policy matrix as data: one row per route (and per variant of a route whose policy
 * depends on its input), each with the status that the upstream service's default policy
 * gives every caller role against a target in the caller's own project and in a foreign one.
 */

import type { Fixture, Seed } from "./fixture.js";

/** Who calls: the admin, a member, a reader and a user with no default role on the own project. */
export const ROLES = ["admin", "member", "reader", "norole"] as const;
export type Role = (typeof ROLES)[number];

/** Whose target a cell addresses: the callers' own project's or the foreign project's. */
export type Side = "own" | "foreign";

export type Api = "compute" | "identity" | "image";

/** The concrete values a path template and a body builder are given. */
export type Target = Record<string, string>;

export interface Row {
  api: Api;
  method: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Path under the API's versioned root, with `{name}` placeholders filled from the target. */
  path: string;
  /** The action key of a `POST .../action` route (the body is `{[action]: body(t)}`). */
  action?: string;
  /** Tells apart rows of the same route whose policy depends on the input. */
  variant?: string;
  /** Compute microversion (default 2.1). */
  version?: string;
  body?: (t: Target) => unknown;
  headers?: (t: Target) => Record<string, string>;
  /**
   * The row's target when the standing fixture would not do: a resource made for this one
   * cell (deleted, state-changed or consumed by it). Made for the cells that are to
   * succeed; the others are refused before they act and address the standing seed.
   */
  fresh?: (fx: Fixture, side: Side, role: Role) => Promise<Target>;
  /** The target for a caller (default: the side's seed as it is). */
  target?: (seed: Seed, fx: Fixture, role: Role) => Target;
  /** Foreign values the row's answers show by design (a community image's owner). */
  shows?: (fx: Fixture) => string[];
  /** Collections and creations have no foreign target: those rows run on the own side only. */
  ownOnly?: boolean;
  expect: Expectation;
}

export type Expectation = Record<Side, Record<Role, number>>;

/** Default rules by the names the upstream policy files use. */
export type Rule = "any" | "reader" | "member" | "manager" | "admin";

const NEEDS: Record<Rule, number> = { any: 0, reader: 1, member: 2, manager: 3, admin: 4 };
const HOLDS: Record<Role, number> = { norole: 0, reader: 1, member: 2, admin: 4 };

/**
 * How a non-admin meets a foreign target: `hidden` when the lookup is project-scoped and
 * comes first (404), `denied` when the policy is checked against the target's project or
 * before any lookup (403), `same` when the route has no project-bound target.
 */
export type Foreign = "hidden" | "denied" | "same";

export type Overrides = Partial<Record<`${Side}.${Role}`, number>>;

/** The cells a rule gives: `ok` where it passes, 403 where it does not, `foreign` for the other project. */
export function byRule(rule: Rule, ok: number, foreign: Foreign, overrides: Overrides = {}): Expectation {
  const own = {} as Record<Role, number>;
  const other = {} as Record<Role, number>;
  for (const role of ROLES) {
    own[role] = HOLDS[role] >= NEEDS[rule] ? ok : 403;
    other[role] = role === "admin" ? ok : foreign === "hidden" ? 404 : foreign === "denied" ? 403 : own[role];
  }
  const expectation: Expectation = { own, foreign: other };
  for (const [cell, status] of Object.entries(overrides)) {
    const [side, role] = cell.split(".") as [Side, Role];
    expectation[side][role] = status as number;
  }
  return expectation;
}

/** A row's name in the report: `POST /servers/{id}/action reboot (variant)`. */
export function rowName(row: Row): string {
  const action = row.action ? ` ${row.action}` : "";
  const variant = row.variant ? ` (${row.variant})` : "";
  return `${row.api} ${row.method} ${row.path}${action}${variant}`;
}

/** Fills `{name}` placeholders; an unknown name is a mistake in the matrix. */
export function fill(template: string, target: Target): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = target[name];
    if (value === undefined) throw new Error(`no target value for {${name}} in ${template}`);
    return encodeURIComponent(value);
  });
}

let made = 0;

/** A fresh name that every name pattern admits (letters, digits and dashes). */
export function uniqueName(): string {
  return `matrix-${++made}-${Date.now()}`;
}
