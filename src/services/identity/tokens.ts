/** The random identifiers of identity: tokens (and their stored hash), audit ids, resource ids. */
import { createHash, randomBytes, randomUUID } from "node:crypto";

/**
 * A new token: 32 random bytes as hex. Opaque to clients; only its hash is stored.
 * Hex rather than base64url so that a token never starts with "-": command-line clients
 * (`openstack token revoke TOKEN`) would read such a token as an option.
 */
export function newTokenId(): string {
  return randomBytes(32).toString("hex");
}

/** What the store keeps of a token: its SHA-256, hex. */
export function hashTokenId(tokenId: string): string {
  return createHash("sha256").update(tokenId, "utf8").digest("hex");
}

/** Keystone's audit id form: 16 random bytes, base64url (22 characters). */
export function newAuditId(): string {
  return randomBytes(16).toString("base64url");
}

/** Keystone's resource id form: a uuid4 without dashes. */
export function newIdentityId(): string {
  return randomUUID().replaceAll("-", "");
}
