import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/** A sealed value that cannot be opened: another key sealed it, or it was altered. */
export class SecretUnreadable extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "SecretUnreadable";
  }
}

const ALGORITHM = "aes-256-gcm";
const KEY_BYTES = 32;
/** GCM's recommended nonce size; random per seal (2^-32 collision bound holds far beyond our volumes). */
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = "v1";

/**
 * AES-256-GCM with a key kept outside the database: what a durable row may hold of a
 * password is the sealed form only. `context` (the task id) is authenticated with it,
 * so a sealed value copied into another row does not open there.
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new Error(`a secret key is ${KEY_BYTES} bytes, not ${key.length}`);
    this.#key = Buffer.from(key);
  }

  /** A fresh random key. */
  static newKey(): Buffer {
    return randomBytes(KEY_BYTES);
  }

  /** `v1.<iv>.<tag>.<ciphertext>`, base64url: plain ASCII, safe inside JSON. */
  seal(plain: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, "utf8"));
    const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), body]
      .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
      .join(".");
  }

  /** The plain text of `sealed`; throws SecretUnreadable when this key and context do not open it. */
  open(sealed: string, context: string): string {
    const [version, iv, tag, body, ...rest] = sealed.split(".");
    if (
      version !== VERSION ||
      iv === undefined ||
      tag === undefined ||
      body === undefined ||
      rest.length > 0
    ) {
      throw new SecretUnreadable("not a sealed secret");
    }
    try {
      const decipher = createDecipheriv(ALGORITHM, this.#key, Buffer.from(iv, "base64url"), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString(
        "utf8",
      );
    } catch {
      throw new SecretUnreadable("sealed with another key, or altered");
    }
  }
}
