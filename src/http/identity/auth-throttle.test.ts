import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ADMIN_PASSWORD,
  DEMO_PASSWORD,
  type IdentityHarness,
  identityHarness,
  passwordAuth,
} from "./test-support.js";

const TOKENS = "/identity/v3/auth/tokens";
const LIMIT = 3;
const WINDOW = 60;
const ATTACKER = "203.0.113.7";

describe("the per-address limit on failed passwords", () => {
  let h: IdentityHarness;
  let now: Date;
  const advance = (seconds: number) => {
    now = new Date(now.getTime() + seconds * 1000);
  };
  const from = (remoteAddress: string, payload: object) =>
    h.app.inject({ method: "POST", url: TOKENS, payload, remoteAddress });
  const fail = async (remoteAddress: string, times: number) => {
    for (let i = 0; i < times; i++) {
      expect((await from(remoteAddress, passwordAuth("demo", "wrong"))).statusCode).toBe(401);
    }
  };

  beforeEach(async () => {
    now = new Date("2030-01-01T00:00:00.000Z");
    h = await identityHarness({
      config: { authFailureLimit: LIMIT, authFailureWindowSeconds: WINDOW },
      now: () => now,
    });
  });
  afterEach(async () => {
    await h.close();
  });

  it("answers 429 with Retry-After in Keystone's body past the limit, even to the right password", async () => {
    await fail(ATTACKER, LIMIT);
    advance(20);
    for (const password of ["wrong", DEMO_PASSWORD]) {
      const refused = await from(ATTACKER, passwordAuth("demo", password));
      expect(refused.statusCode).toBe(429);
      expect(refused.headers["retry-after"]).toBe("40");
      expect(refused.headers["x-subject-token"]).toBeUndefined();
      expect(refused.json()).toEqual({
        error: {
          code: 429,
          title: "Too Many Requests",
          message: "Too many failed authentication attempts from this address. Retry after 40 seconds.",
        },
      });
    }
    // Any user: the limit is on the address, not on whom it guesses for.
    expect((await from(ATTACKER, passwordAuth("admin", ADMIN_PASSWORD))).statusCode).toBe(429);
  });

  it("still lets other addresses log in, and the address again once its window ends", async () => {
    await fail(ATTACKER, LIMIT);
    expect((await from("198.51.100.2", passwordAuth("demo", DEMO_PASSWORD))).statusCode).toBe(201);
    expect((await from("2001:db8::2", passwordAuth("demo", DEMO_PASSWORD))).statusCode).toBe(201);

    advance(WINDOW - 1);
    expect((await from(ATTACKER, passwordAuth("demo", DEMO_PASSWORD))).headers["retry-after"]).toBe("1");
    advance(1);
    expect((await from(ATTACKER, passwordAuth("demo", DEMO_PASSWORD))).statusCode).toBe(201);
  });

  it("counts only failures: many logins from one address are never limited", async () => {
    for (let i = 0; i < LIMIT * 3; i++) {
      expect((await from(ATTACKER, passwordAuth("demo", DEMO_PASSWORD))).statusCode).toBe(201);
    }
    // A right password does not reset the count either.
    await fail(ATTACKER, LIMIT - 1);
    expect((await from(ATTACKER, passwordAuth("demo", DEMO_PASSWORD))).statusCode).toBe(201);
    await fail(ATTACKER, 1);
    expect((await from(ATTACKER, passwordAuth("demo", DEMO_PASSWORD))).statusCode).toBe(429);
  });

  it("counts unknown users, but not a right password refused for its scope, nor tokens", async () => {
    for (let i = 0; i < LIMIT; i++) {
      expect((await from(ATTACKER, passwordAuth("demo", DEMO_PASSWORD, "admin"))).statusCode).toBe(401);
      const token = { auth: { identity: { methods: ["token"], token: { id: "not-a-token" } } } };
      expect((await from(ATTACKER, token)).statusCode).toBe(401);
    }
    expect((await from(ATTACKER, passwordAuth("demo", DEMO_PASSWORD))).statusCode).toBe(201);

    for (let i = 0; i < LIMIT; i++) {
      expect((await from(ATTACKER, passwordAuth("nobody", "guess"))).statusCode).toBe(401);
    }
    expect((await from(ATTACKER, passwordAuth("demo", DEMO_PASSWORD))).statusCode).toBe(429);
  });

  it("is off with a limit of 0", async () => {
    await h.close();
    h = await identityHarness({ config: { authFailureLimit: 0 }, now: () => now });
    await fail(ATTACKER, LIMIT + 1);
    expect((await from(ATTACKER, passwordAuth("demo", DEMO_PASSWORD))).statusCode).toBe(201);
  });
});
