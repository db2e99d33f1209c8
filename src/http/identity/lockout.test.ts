import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ADMIN_PASSWORD,
  DEMO_PASSWORD,
  type IdentityHarness,
  identityHarness,
  login,
  passwordAuth,
} from "./test-support.js";

const TOKENS = "/identity/v3/auth/tokens";
const ATTEMPTS = 3;
const DURATION = 600;
const REQUIRES_AUTH = {
  error: { code: 401, title: "Unauthorized", message: "The request you have made requires authentication." },
};

describe("Keystone's lockout of a user after failed passwords", () => {
  let h: IdentityHarness;
  let now: Date;
  const advance = (seconds: number) => {
    now = new Date(now.getTime() + seconds * 1000);
  };
  const open = (config: { lockoutDurationSeconds?: number } = {}) =>
    identityHarness({
      // The per-source limit is off here, so that only the lockout answers.
      config: {
        lockoutFailureAttempts: ATTEMPTS,
        lockoutDurationSeconds: DURATION,
        authFailureLimit: 0,
        ...config,
      },
      now: () => now,
    });
  const attempt = (password: string) =>
    h.app.inject({ method: "POST", url: TOKENS, payload: passwordAuth("demo", password, "demo") });
  const failRepeatedly = async (times: number) => {
    for (let i = 0; i < times; i++) expect((await attempt("wrong")).statusCode).toBe(401);
  };

  beforeEach(async () => {
    now = new Date("2030-01-01T00:00:00.000Z");
    h = await open();
  });
  afterEach(async () => {
    await h.close();
  });

  it("refuses the right password after N consecutive failures, in the words of a wrong one", async () => {
    await failRepeatedly(ATTEMPTS - 1);
    expect((await attempt(DEMO_PASSWORD)).statusCode).toBe(201);
    await failRepeatedly(ATTEMPTS);

    const locked = await attempt(DEMO_PASSWORD);
    expect(locked.statusCode).toBe(401);
    expect(locked.json()).toEqual(REQUIRES_AUTH);
    expect(locked.headers["x-subject-token"]).toBeUndefined();
    // Other users are not affected.
    expect(
      (await h.app.inject({ method: "POST", url: TOKENS, payload: passwordAuth("admin", ADMIN_PASSWORD) }))
        .statusCode,
    ).toBe(201);
  });

  it("forgets the failures on a success, so only consecutive ones lock", async () => {
    for (let round = 0; round < 3; round++) {
      await failRepeatedly(ATTEMPTS - 1);
      expect((await attempt(DEMO_PASSWORD)).statusCode).toBe(201);
    }
  });

  it("unlocks once the duration has passed since the last failure, and counts afresh", async () => {
    await failRepeatedly(ATTEMPTS);
    advance(DURATION - 1);
    expect((await attempt(DEMO_PASSWORD)).statusCode).toBe(401);
    // Attempts while locked do not extend the lockout.
    expect((await attempt("wrong")).statusCode).toBe(401);
    advance(1);
    expect((await attempt(DEMO_PASSWORD)).statusCode).toBe(201);

    await failRepeatedly(ATTEMPTS);
    advance(DURATION);
    // Counting starts again after a lockout ends: one failure does not lock at once.
    await failRepeatedly(1);
    expect((await attempt(DEMO_PASSWORD)).statusCode).toBe(201);
  });

  it("keeps a user locked until an admin enables it, with a duration of 0", async () => {
    await h.close();
    h = await open({ lockoutDurationSeconds: 0 });
    await failRepeatedly(ATTEMPTS);
    advance(365 * 24 * 3600);
    expect((await attempt(DEMO_PASSWORD)).statusCode).toBe(401);

    const admin = await login(h.app, "admin", ADMIN_PASSWORD, "admin");

    const enable = await h.app.inject({
      method: "PATCH",
      url: `/identity/v3/users/${h.boot.demo.userId}`,
      headers: { "x-auth-token": admin },
      payload: { user: { enabled: true } },
    });
    expect(enable.statusCode).toBe(200);
    expect((await attempt(DEMO_PASSWORD)).statusCode).toBe(201);
  });

  it("counts nothing while the lockout is off (Keystone's default)", async () => {
    await h.close();
    h = await identityHarness({ config: { authFailureLimit: 0 }, now: () => now });
    await failRepeatedly(ATTEMPTS + 1);
    expect((await attempt(DEMO_PASSWORD)).statusCode).toBe(201);
    expect(await h.db.selectFrom("user_auth_failures").selectAll().execute()).toEqual([]);
  });
});
