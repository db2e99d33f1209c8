import { execFileSync } from "node:child_process";
import { createPrivateKey, generateKeyPairSync, X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { generateSshKey, generateX509, InvalidKeyData, sshFingerprint, x509Fingerprint } from "./ssh-keys.js";

function wire(...parts: Array<string | Buffer>): Buffer {
  return Buffer.concat(
    parts.map((p) => {
      const body = typeof p === "string" ? Buffer.from(p) : p;
      const length = Buffer.alloc(4);
      length.writeUInt32BE(body.length);
      return Buffer.concat([length, body]);
    }),
  );
}

/** nova's own sample import (api_samples/os-keypairs/v2.92) and the fingerprint nova answered with. */
const SAMPLE_KEY =
  "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDx8nkQv/zgGgB4rMYmIf+6A4l6Rr+o/6lHBQdW5aYd44bd8JttDCE/F/pNRr0lRE+PiqSPO8nDPHw0010JeMH9gYgnnFlyY3/OcJ02RhIPyyxYpv9FhY+2YiUkpwFOcLImyrxEsYXpD/0d3ac30bNH6Sw9JD9UZHYcpSxsIbECHw== Generated-by-Nova";

describe("sshFingerprint", () => {
  it("is the MD5 of the key blob, colon-separated, as nova computes it", () => {
    expect(sshFingerprint(SAMPLE_KEY)).toBe("1e:2c:9b:56:79:4b:45:77:f9:ca:7a:98:2c:b0:d5:3c");
  });

  it("accepts ed25519 and ECDSA keys", async () => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" });
    const point = Buffer.concat([
      Buffer.from([4]),
      Buffer.from(jwk.x!, "base64url"),
      Buffer.from(jwk.y!, "base64url"),
    ]);
    const blob = wire("ecdsa-sha2-nistp256", "nistp256", point);
    expect(sshFingerprint(`ecdsa-sha2-nistp256 ${blob.toString("base64")} me@host`)).toMatch(
      /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/,
    );
    expect(sshFingerprint((await generateSshKey()).publicKey)).toMatch(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
  });

  it.each([
    ["junk", "not a key"],
    ["empty", ""],
    ["bad base64", "ssh-rsa !!!notbase64!!!"],
    ["type mismatch", `ssh-ed25519 ${SAMPLE_KEY.split(" ")[1]}`],
    ["truncated", `ssh-rsa ${SAMPLE_KEY.split(" ")[1]!.slice(0, 60)}`],
    [
      "point off the curve",
      `ecdsa-sha2-nistp256 ${wire("ecdsa-sha2-nistp256", "nistp256", Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)])).toString("base64")}`,
    ],
    [
      "trailing data",
      `ssh-ed25519 ${Buffer.concat([wire("ssh-ed25519", Buffer.alloc(32, 7)), Buffer.from([0])]).toString("base64")}`,
    ],
  ])("refuses %s", (_name, key) => {
    expect(() => sshFingerprint(key)).toThrow(new InvalidKeyData("failed to generate fingerprint"));
  });
});

describe("generateSshKey", () => {
  it("makes a 2048-bit RSA key as nova does: PKCS#1 PEM private key, ssh-rsa public key", async () => {
    const key = await generateSshKey();
    expect(key.privateKey).toMatch(
      /^-----BEGIN RSA PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+\n-----END RSA PRIVATE KEY-----\n$/,
    );
    expect(key.publicKey).toMatch(/^ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ[A-Za-z0-9+/]+ Generated-by-Nova$/);
    expect(createPrivateKey(key.privateKey).asymmetricKeyDetails).toEqual({
      modulusLength: 2048,
      publicExponent: 65537n,
    });
    expect(key.fingerprint).toBe(sshFingerprint(key.publicKey));
    expect((await generateSshKey()).publicKey).not.toBe(key.publicKey);
  });

  it("writes a private key ssh-keygen reads back to the same public key and fingerprint", async () => {
    const key = await generateSshKey();
    const dir = mkdtempSync(path.join(tmpdir(), "nimbus-ssh-"));
    try {
      const file = path.join(dir, "id_rsa");
      writeFileSync(file, key.privateKey, { mode: 0o600 });
      const derived = execFileSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" }).trim();
      expect(derived.split(" ").slice(0, 2)).toEqual(key.publicKey.split(" ").slice(0, 2));
      writeFileSync(`${file}.pub`, `${key.publicKey}\n`);
      const listed = execFileSync("ssh-keygen", ["-l", "-E", "md5", "-f", `${file}.pub`], {
        encoding: "utf8",
      });
      expect(listed).toContain(`MD5:${key.fingerprint}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("x509", () => {
  // needs the openssl command, as nova does (CI installs it)
  it("generates a self-signed client certificate with a PKCS#12 private key", async () => {
    const key = await generateX509("alice");
    const cert = new X509Certificate(key.publicKey);
    expect(cert.subject).toBe("CN=alice");
    expect(key.fingerprint).toBe(cert.fingerprint.toLowerCase());
    expect(key.fingerprint).toBe(x509Fingerprint(key.publicKey));
    // PKCS#12 is DER: a SEQUENCE
    expect(Buffer.from(key.privateKey, "base64")[0]).toBe(0x30);
  });

  it("refuses what is not a PEM certificate", () => {
    expect(() => x509Fingerprint(SAMPLE_KEY)).toThrow(
      /^failed to generate X509 fingerprint\. Error message: /,
    );
  });
});
