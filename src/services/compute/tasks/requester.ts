import type { AuthContext } from "../../context.js";

/**
 * nova's `context.elevated()`: the requester's context with admin rights, with which
 * compute handles the images it keeps for a server (a shelved server's snapshot may be
 * owned by whoever shelved it, not by whoever unshelves it).
 */
export function elevated(ctx: AuthContext): AuthContext {
  return { ...ctx, isAdmin: true, roles: [...new Set([...ctx.roles, "admin"])] };
}
