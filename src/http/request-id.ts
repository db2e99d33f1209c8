import { randomUUID } from "node:crypto";

/** Nova's local request id form, `req-<uuid4>`; sent back as both request-id headers. */
export function newRequestId(): string {
  return `req-${randomUUID()}`;
}
