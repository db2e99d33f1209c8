/** Nova writes times as UTC ISO 8601; the store keeps them in exactly that form. */
export function nowIso(): string {
  return new Date().toISOString();
}

/** `2026-11-23T09:52:57Z`: server `created`/`updated` and token times drop the milliseconds. */
export function isoSeconds(iso: string): string {
  return `${iso.slice(0, 19)}Z`;
}

/** `2026-11-23T09:52:57.123000`: the timezone-less microsecond form of instance actions and keypairs. */
export function isoMicros(iso: string): string {
  return `${iso.slice(0, 19)}.${iso.slice(20, 23)}000`;
}
