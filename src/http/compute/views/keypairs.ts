import { isoMicros } from "../../../clock.js";
import type { Keypair } from "../../../services/compute/keypair-service.js";
import type { ApiVersion } from "../microversion.js";

/** Where a keypair is shown: list entries, the create answer, show. */
export type KeypairViewKind = "index" | "create" | "show";

interface Field {
  key: string;
  min?: string;
  in: KeypairViewKind[];
  value: (k: Keypair) => unknown;
}

/** nova's keypair ViewBuilder: which attribute each view carries, and `type` from 2.2. */
const FIELDS: Field[] = [
  { key: "name", in: ["index", "create", "show"], value: (k) => k.name },
  { key: "public_key", in: ["index", "create", "show"], value: (k) => k.publicKey },
  { key: "fingerprint", in: ["index", "create", "show"], value: (k) => k.fingerprint },
  { key: "type", min: "2.2", in: ["index", "create", "show"], value: (k) => k.type },
  { key: "user_id", in: ["create", "show"], value: (k) => k.userId },
  { key: "created_at", in: ["show"], value: (k) => isoMicros(k.createdAt) },
  { key: "deleted", in: ["show"], value: () => false },
  { key: "deleted_at", in: ["show"], value: () => null },
  { key: "updated_at", in: ["show"], value: () => null },
  { key: "id", in: ["show"], value: (k) => k.id },
];

/** The `keypair` object of a view; a generated key's `private_key` goes in the create answer. */
export function keypairView(
  keypair: Keypair,
  kind: KeypairViewKind,
  version: ApiVersion,
  privateKey?: string,
) {
  const out: Record<string, unknown> = {};
  if (kind === "create" && privateKey !== undefined) out.private_key = privateKey;
  for (const field of FIELDS) {
    if (field.in.includes(kind) && version.within(field.min)) out[field.key] = field.value(keypair);
  }
  return out;
}
