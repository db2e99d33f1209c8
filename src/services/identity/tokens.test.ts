import { describe, expect, it } from "vitest";
import { hashTokenId, newTokenId } from "./tokens.js";

describe("token ids", () => {
  it("are 64 hex characters, so none can be mistaken for a command-line option", () => {
    const ids = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = newTokenId();
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(2000);
  });

  it("are stored as their SHA-256", () => {
    expect(hashTokenId("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
