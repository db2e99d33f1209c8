import { execFile } from "node:child_process";
import { createHash, createPublicKey, generateKeyPair, type JsonWebKey, X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

/**
 * Keypair material as nova handles it (nova/crypto.py): validating and fingerprinting
 * imported OpenSSH public keys and X.509 certificates, and generating keys for the
 * pre-2.92 "create without public_key" requests.
 */

/** A public key or certificate nova would refuse; the message is nova's InvalidKeypair reason. */
export class InvalidKeyData extends Error {}

const colonHex = (hex: string) => hex.match(/../g)!.join(":");

/** Reads the SSH wire encoding (RFC 4251): uint32-length-prefixed strings. */
class WireReader {
  #offset = 0;
  constructor(private readonly buf: Buffer) {}

  string(): Buffer {
    if (this.#offset + 4 > this.buf.length) throw new InvalidKeyData("truncated key");
    const length = this.buf.readUInt32BE(this.#offset);
    const start = this.#offset + 4;
    if (start + length > this.buf.length) throw new InvalidKeyData("truncated key");
    this.#offset = start + length;
    return this.buf.subarray(start, start + length);
  }

  text(): string {
    return this.string().toString("latin1");
  }

  /** An mpint that must be positive (RSA and DSA parameters). */
  positive(): Buffer {
    const value = this.string();
    if (value.length === 0 || (value[0]! & 0x80) !== 0) throw new InvalidKeyData("bad integer");
    let start = 0;
    while (start < value.length - 1 && value[start] === 0) start++;
    return value.subarray(start);
  }

  get done(): boolean {
    return this.#offset === this.buf.length;
  }
}

const b64url = (b: Buffer) => b.toString("base64url");

const EC_CURVES: Record<string, { jwk: string; size: number }> = {
  nistp256: { jwk: "P-256", size: 32 },
  nistp384: { jwk: "P-384", size: 48 },
  nistp521: { jwk: "P-521", size: 66 },
};

function checkEcPoint(curve: string, point: Buffer): void {
  const spec = EC_CURVES[curve];
  if (!spec) throw new InvalidKeyData("unsupported curve");
  if (point.length !== 1 + 2 * spec.size || point[0] !== 0x04) throw new InvalidKeyData("bad EC point");
  const jwk: JsonWebKey = {
    kty: "EC",
    crv: spec.jwk,
    x: b64url(point.subarray(1, 1 + spec.size)),
    y: b64url(point.subarray(1 + spec.size)),
  };
  createPublicKey({ key: jwk, format: "jwk" }); // throws when the point is not on the curve
}

/** Parses the key blob the way pyca/cryptography's load_ssh_public_key does; throws when invalid. */
function checkKeyBlob(keyType: string, blob: Buffer): void {
  const r = new WireReader(blob);
  if (r.text() !== keyType) throw new InvalidKeyData("key type mismatch");
  switch (keyType) {
    case "ssh-rsa": {
      const e = r.positive();
      const n = r.positive();
      createPublicKey({ key: { kty: "RSA", n: b64url(n), e: b64url(e) }, format: "jwk" });
      break;
    }
    case "ssh-dss":
      for (let i = 0; i < 4; i++) r.positive();
      break;
    case "ssh-ed25519":
    case "sk-ssh-ed25519@openssh.com": {
      const key = r.string();
      if (key.length !== 32) throw new InvalidKeyData("bad ed25519 key");
      createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: b64url(key) }, format: "jwk" });
      if (keyType.startsWith("sk-")) r.string(); // application
      break;
    }
    case "ecdsa-sha2-nistp256":
    case "ecdsa-sha2-nistp384":
    case "ecdsa-sha2-nistp521":
    case "sk-ecdsa-sha2-nistp256@openssh.com": {
      const curve = r.text();
      const expected = keyType.startsWith("sk-") ? "nistp256" : keyType.slice("ecdsa-sha2-".length);
      if (curve !== expected) throw new InvalidKeyData("curve mismatch");
      checkEcPoint(curve, r.string());
      if (keyType.startsWith("sk-")) r.string(); // application
      break;
    }
    default:
      throw new InvalidKeyData("unsupported key type");
  }
  if (!r.done) throw new InvalidKeyData("extra data after key");
}

/**
 * nova's fingerprint of an OpenSSH public key line (`<type> <base64> [comment]`): the MD5
 * of the decoded key blob as colon-separated hex. Throws InvalidKeyData for anything that
 * is not a valid public key.
 */
export function sshFingerprint(publicKey: string): string {
  try {
    const match = /^(\S+)[ \t]+(\S+)/.exec(publicKey);
    if (!match) throw new InvalidKeyData("not an OpenSSH public key");
    // nova decodes the second space-separated field
    const field = publicKey.split(" ")[1] ?? "";
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(match[2]!) || field !== match[2]) {
      throw new InvalidKeyData("bad base64");
    }
    const blob = Buffer.from(field, "base64");
    checkKeyBlob(match[1]!, blob);
    return colonHex(createHash("md5").update(blob).digest("hex"));
  } catch {
    throw new InvalidKeyData("failed to generate fingerprint");
  }
}

/** nova's fingerprint of a PEM X.509 certificate: SHA-1 of the DER as colon-separated lowercase hex. */
export function x509Fingerprint(pem: string): string {
  let cert: X509Certificate;
  try {
    if (!pem.includes("-----BEGIN CERTIFICATE-----")) throw new Error("Unable to load PEM file.");
    cert = new X509Certificate(pem);
  } catch (error) {
    throw new InvalidKeyData(
      `failed to generate X509 fingerprint. Error message: ${(error as Error).message}`,
    );
  }
  return cert.fingerprint.toLowerCase();
}

function wireString(data: Buffer | string): Buffer {
  const body = typeof data === "string" ? Buffer.from(data, "latin1") : data;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([length, body]);
}

/** An SSH mpint (RFC 4251) from a big-endian unsigned integer: a leading zero byte when the top bit is set. */
function mpint(unsigned: Buffer): Buffer {
  let start = 0;
  while (start < unsigned.length - 1 && unsigned[start] === 0) start++;
  const value = unsigned.subarray(start);
  return wireString((value[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), value]) : value);
}

export interface GeneratedKey {
  privateKey: string;
  publicKey: string;
  fingerprint: string;
}

const generateRsa = promisify(generateKeyPair);

/**
 * A new 2048-bit RSA keypair, as nova generates it (nova/crypto.py generate_key_pair):
 * the private key as a PKCS#1 PEM ("BEGIN RSA PRIVATE KEY"), the public key as an
 * OpenSSH `ssh-rsa` line with nova's "Generated-by-Nova" comment. Generated off the
 * event loop: a 2048-bit key takes tens of milliseconds.
 */
export async function generateSshKey(): Promise<GeneratedKey> {
  const { privateKey, publicKey } = await generateRsa("rsa", { modulusLength: 2048, publicExponent: 65537 });
  const jwk = publicKey.export({ format: "jwk" });
  const blob = Buffer.concat([
    wireString("ssh-rsa"),
    mpint(Buffer.from(jwk.e!, "base64url")),
    mpint(Buffer.from(jwk.n!, "base64url")),
  ]);
  const line = `ssh-rsa ${blob.toString("base64")} Generated-by-Nova`;
  return {
    privateKey: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    publicKey: line,
    fingerprint: sshFingerprint(line),
  };
}

const run = promisify(execFile);

async function openssl(args: string[]): Promise<void> {
  try {
    await run("openssl", args);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new InvalidKeyData(
        "x509 keypairs cannot be generated here (no openssl command); import a certificate",
      );
    }
    throw error;
  }
}

/**
 * A self-signed client certificate for WinRM, as nova makes it with openssl: the PEM
 * certificate is the "public key", the private key is returned as a base64 PKCS#12
 * bundle with an empty password. Needs the `openssl` command.
 */
export async function generateX509(userId: string): Promise<GeneratedKey> {
  // user ids come from requests: keep them from adding subject fields or config lines
  const safeUser = userId.replace(/[^\w.@-]/g, "_");
  const dir = await mkdtemp(path.join(tmpdir(), "nimbus-x509-"));
  try {
    const conf = path.join(dir, "temp.conf");
    const keyFile = path.join(dir, "temp.key");
    const certFile = path.join(dir, "temp.crt");
    const p12File = path.join(dir, "temp.p12");
    await writeFile(
      conf,
      "distinguished_name  = req_distinguished_name\n[req_distinguished_name]\n[v3_req_client]\n" +
        `extendedKeyUsage = clientAuth\nsubjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:${safeUser}@localhost\n`,
    );
    await openssl([
      ...["req", "-x509", "-nodes", "-days", "3650", "-config", conf, "-newkey", "rsa:2048"],
      ...["-outform", "PEM", "-keyout", keyFile, "-out", certFile, "-subj", `/CN=${safeUser}`],
      ...["-extensions", "v3_req_client"],
    ]);
    await openssl([
      "pkcs12",
      "-export",
      "-inkey",
      keyFile,
      "-in",
      certFile,
      "-password",
      "pass:",
      "-out",
      p12File,
    ]);
    const certificate = await readFile(certFile, "utf8");
    return {
      privateKey: (await readFile(p12File)).toString("base64"),
      publicKey: certificate,
      fingerprint: x509Fingerprint(certificate),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
