import { describe, expect, it } from "vitest";
import { SecretBox, SecretUnreadable } from "./secret-box.js";

describe("SecretBox", () => {
  const box = new SecretBox(SecretBox.newKey());

  it("opens what it sealed, and the sealed form shows nothing of the plain text", () => {
    const sealed = box.seal("hunter2-hunter2", "task-1");
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain("hunter2");
    expect(Buffer.from(sealed.split(".")[3]!, "base64url").toString("latin1")).not.toContain("hunter2");
    expect(box.open(sealed, "task-1")).toBe("hunter2-hunter2");
    // a fresh nonce each time: the same secret never seals to the same text
    expect(box.seal("hunter2-hunter2", "task-1")).not.toBe(sealed);
  });

  it("refuses another key, another context and any change", () => {
    const sealed = box.seal("hunter2", "task-1");
    expect(() => new SecretBox(SecretBox.newKey()).open(sealed, "task-1")).toThrow(SecretUnreadable);
    expect(() => box.open(sealed, "task-2")).toThrow(SecretUnreadable);
    const [version, iv, tag, body] = sealed.split(".") as [string, string, string, string];
    const flipped = Buffer.from(body, "base64url");
    flipped[0]! ^= 1;
    expect(() => box.open([version, iv, tag, flipped.toString("base64url")].join("."), "task-1")).toThrow(
      SecretUnreadable,
    );
    expect(() => box.open("hunter2", "task-1")).toThrow(SecretUnreadable);
  });

  it("takes a 256-bit key only", () => {
    expect(() => new SecretBox(Buffer.alloc(16))).toThrow("32 bytes");
  });
});
