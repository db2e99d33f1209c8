import type { AuthContext } from "../context.js";

/**
 * Glance's default image policies (glance/policies/image.py) together with the visibility
 * rules of its db layer. Roles imply one another as Keystone's default implied roles do:
 * admin ⊃ manager ⊃ member ⊃ reader.
 */
const RANK: Record<string, number> = { reader: 1, member: 2, manager: 3, admin: 4 };

function hasRole(ctx: AuthContext, role: "reader" | "member"): boolean {
  const needed = RANK[role]!;
  return ctx.isAdmin || ctx.roles.some((r) => (RANK[r] ?? 0) >= needed);
}

/** get_images: a reader of some project (or an admin). */
export function canList(ctx: AuthContext): boolean {
  return hasRole(ctx, "reader");
}

/**
 * get_image and the db's visibility: public and community images are there for every
 * reader, private and shared ones for their owner's project (nimbus has no image members).
 */
export function canRead(ctx: AuthContext, image: { visibility: string; owner: string | null }): boolean {
  if (ctx.isAdmin) return true;
  if (!hasRole(ctx, "reader")) return false;
  if (image.visibility === "public" || image.visibility === "community") return true;
  return ctx.projectId !== null && image.owner === ctx.projectId;
}

/** download_image: like reading, but a member role is needed. */
export function canDownload(ctx: AuthContext, image: { visibility: string; owner: string | null }): boolean {
  return canRead(ctx, image) && hasRole(ctx, "member");
}

/** modify_image, upload_image, delete_image: an admin, or a member of the owning project. */
export function canModify(ctx: AuthContext, image: { owner: string | null }): boolean {
  if (ctx.isAdmin) return true;
  return hasRole(ctx, "member") && ctx.projectId !== null && image.owner === ctx.projectId;
}

/** add_image: an admin, or a member creating an image owned by their own project. */
export function canCreate(ctx: AuthContext, owner: string | null): boolean {
  if (ctx.isAdmin) return true;
  return hasRole(ctx, "member") && ctx.projectId !== null && owner === ctx.projectId;
}

/** publicize_image is admin-only; communitize_image is for the owner's members too. */
export function canSetVisibility(ctx: AuthContext, visibility: string): boolean {
  return visibility !== "public" || ctx.isAdmin;
}
