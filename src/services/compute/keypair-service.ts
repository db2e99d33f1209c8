import type { Db } from "../../store/database.js";
import { type KeypairRecord, KeypairRepository } from "../../store/keypair-repository.js";
import type { AuthContext } from "../context.js";
import { Conflict, InvalidInput, KeypairNotFound, ServiceError } from "../errors.js";
import type { QuotaService } from "../quota/quota-service.js";
import { generateSshKey, generateX509, InvalidKeyData, sshFingerprint, x509Fingerprint } from "./ssh-keys.js";

export type Keypair = KeypairRecord;
export type KeypairType = "ssh" | "x509";

export interface CreateKeypairRequest {
  /** Whose keypair it is (the caller, or another user when an admin says so). */
  userId: string;
  name: string;
  type: KeypairType;
  /** Imported key (OpenSSH public key line, or PEM certificate for x509); absent: nimbus generates one. */
  publicKey?: string;
}

export interface CreatedKeypair {
  keypair: Keypair;
  /** Only for generated keys: OpenSSH private key (ssh) or base64 PKCS#12 bundle (x509). */
  privateKey?: string;
}

/** Key material, or the reason it is unusable (raised after the quota check, as nova orders them). */
type Material = { publicKey: string; fingerprint: string; privateKey?: string } | { error: string };

async function material(req: CreateKeypairRequest): Promise<Material> {
  try {
    if (req.publicKey !== undefined) {
      const fingerprint =
        req.type === "x509" ? x509Fingerprint(req.publicKey) : sshFingerprint(req.publicKey);
      return { publicKey: req.publicKey, fingerprint };
    }
    return req.type === "x509" ? await generateX509(req.userId) : await generateSshKey();
  } catch (error) {
    if (error instanceof InvalidKeyData) return { error: error.message };
    throw error;
  }
}

/** How often an insert is retried when another user's insert took the same keypair id. */
const INSERT_ATTEMPTS = 3;

/** Users' SSH keypairs and X.509 certificates, with the key_pairs quota enforced on create. */
export class KeypairService {
  readonly #repo: KeypairRepository;

  constructor(
    private readonly db: Db,
    private readonly quotas: QuotaService,
    repo?: KeypairRepository,
  ) {
    this.#repo = repo ?? new KeypairRepository(db);
  }

  /** The user's keypair of that name; throws KeypairNotFound. */
  async get(userId: string, name: string): Promise<Keypair> {
    const keypair = await this.#repo.find(userId, name);
    if (!keypair) throw new KeypairNotFound(userId, name);
    return keypair;
  }

  /** The user's keypair of that name, or undefined. */
  async find(userId: string, name: string): Promise<Keypair | undefined> {
    return this.#repo.find(userId, name);
  }

  /** A user's keypairs by name; `marker` is the name of the last one seen. Throws InvalidInput for an unknown marker. */
  async list(userId: string, page: { limit?: number; marker?: string } = {}): Promise<Keypair[]> {
    const keypairs = await this.#repo.list(userId, page);
    if (!keypairs) throw new InvalidInput(`Marker ${page.marker} could not be found.`);
    return keypairs;
  }

  /**
   * Imports or generates a keypair. The key_pairs quota (counted per user, limited by the
   * caller's project) is checked in the transaction that inserts, so concurrent creates
   * cannot overshoot it. Errors: QuotaExceeded (403), InvalidInput "Keypair data is
   * invalid: ..." (400), Conflict "Key pair 'x' already exists." (409).
   */
  async create(ctx: AuthContext, req: CreateKeypairRequest): Promise<CreatedKeypair> {
    const name = req.name.trim();
    const key = await material(req);
    const projectId = ctx.projectId ?? "";
    for (let attempt = 1; ; attempt++) {
      try {
        const keypair = await this.db.transaction().execute(async (trx) => {
          await this.quotas.checkKeypairs(trx, projectId, req.userId);
          if ("error" in key) throw new InvalidInput(`Keypair data is invalid: ${key.error}`);
          if (await this.#repo.find(req.userId, name, trx))
            throw new Conflict(`Key pair '${name}' already exists.`);
          return this.#repo.insert(trx, {
            userId: req.userId,
            name,
            projectId,
            type: req.type,
            publicKey: key.publicKey,
            fingerprint: key.fingerprint,
            createdAt: new Date().toISOString(),
          });
        });
        return "error" in key ? { keypair } : { keypair, privateKey: key.privateKey };
      } catch (error) {
        if (error instanceof ServiceError || attempt >= INSERT_ATTEMPTS) throw error;
        // a concurrent insert (PostgreSQL) took the name or the id
        if (await this.#repo.find(req.userId, name)) throw new Conflict(`Key pair '${name}' already exists.`);
      }
    }
  }

  /** Deletes the user's keypair; throws KeypairNotFound. */
  async delete(userId: string, name: string): Promise<void> {
    if (!(await this.#repo.delete(userId, name))) throw new KeypairNotFound(userId, name);
  }
}
