import type { AuthContext } from "../../services/context.js";
import { HttpFault } from "../faults.js";

/**
 * Nova's default policy rules (nova/policies/base.py), by the names ENDPOINTS.md uses.
 * Roles imply one another as Keystone's default implied roles do: admin ⊃ manager ⊃ member ⊃ reader.
 */
export type Rule = "any" | "admin" | "project_reader" | "project_member" | "project_manager";

const RANK: Record<string, number> = { reader: 1, member: 2, manager: 3, admin: 4 };

function hasRoleAtLeast(auth: AuthContext, role: keyof typeof RANK): boolean {
  const needed = RANK[role]!;
  return auth.roles.some((r) => (RANK[r] ?? 0) >= needed);
}

/** True when `auth` passes `rule` against a target owned by `targetProjectId` (default: the caller's own project). */
export function allows(auth: AuthContext, rule: Rule, targetProjectId?: string | null): boolean {
  if (rule === "any") return true;
  if (auth.isAdmin) return true;
  if (rule === "admin") return false;
  const target = targetProjectId ?? auth.projectId;
  if (auth.projectId === null || target !== auth.projectId) return false;
  switch (rule) {
    case "project_reader":
      return hasRoleAtLeast(auth, "reader");
    case "project_member":
      return hasRoleAtLeast(auth, "member");
    case "project_manager":
      return hasRoleAtLeast(auth, "manager");
  }
}

/** A named policy check; a refusal is nova's 403 "Policy doesn't allow <name> to be performed." */
export interface Policy {
  name: string;
  rule: Rule;
}

export function authorize(auth: AuthContext, policy: Policy, targetProjectId?: string | null): void {
  if (!allows(auth, policy.rule, targetProjectId)) {
    throw new HttpFault(403, `Policy doesn't allow ${policy.name} to be performed.`);
  }
}
