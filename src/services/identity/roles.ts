/** The roles every nimbus cloud has, as `keystone-manage bootstrap` creates them. */
export const BUILTIN_ROLES = ["admin", "member", "reader"] as const;

/** Keystone's bootstrap role implications: admin implies member, member implies reader. */
const IMPLIES: Readonly<Record<string, string>> = { admin: "member", member: "reader" };

export interface RoleRef {
  id: string;
  name: string;
}

/** An effective role: granted directly, or implied by `prior` (a role granted or itself implied). */
export interface EffectiveRole {
  role: RoleRef;
  prior?: RoleRef;
}

/** Names of the roles that the named role implies, transitively (admin: member, reader). */
export function impliedNames(name: string): string[] {
  const names: string[] = [];
  for (let next = IMPLIES[name]; next !== undefined && !names.includes(next); next = IMPLIES[next]) {
    names.push(next);
  }
  return names;
}

/**
 * Expands granted roles with the roles they imply, as Keystone puts them in a token:
 * granted roles first, then each implied role once, remembering which role implied it.
 * `known` resolves an implied role's name to the role (absent when it was deleted).
 */
export function expandRoles(
  granted: RoleRef[],
  known: (name: string) => RoleRef | undefined,
): EffectiveRole[] {
  const result: EffectiveRole[] = granted.map((role) => ({ role }));
  const seen = new Set(granted.map((r) => r.id));
  for (const role of granted) {
    let prior = role;
    for (const name of impliedNames(role.name)) {
      const implied = known(name);
      if (!implied) break;
      if (!seen.has(implied.id)) {
        seen.add(implied.id);
        result.push({ role: implied, prior });
      }
      prior = implied;
    }
  }
  return result;
}
