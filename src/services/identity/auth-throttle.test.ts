import { describe, expect, it } from "vitest";
import { AuthFailureThrottle } from "./auth-throttle.js";

describe("AuthFailureThrottle", () => {
  it("remembers at most 10,000 sources, forgetting the window that opened longest ago", () => {
    let now = 0;
    const throttle = new AuthFailureThrottle(
      { authFailureLimit: 2, authFailureWindowSeconds: 60 },
      () => new Date(now),
    );
    throttle.failed("ended");
    now = 30_000;
    throttle.failed("blocked");
    throttle.failed("blocked");
    now = 70_000;
    expect(throttle.retryAfter("blocked")).toBe(20);
    for (let i = 0; i < 9_998; i++) throttle.failed(`10.0.${i >> 8}.${i & 255}`);

    // Full: the window that has ended makes room, the live one stays.
    throttle.failed("newcomer");
    expect(throttle.retryAfter("blocked")).toBe(20);
    // Full again, nothing has ended: the oldest goes.
    throttle.failed("another");
    expect(throttle.retryAfter("blocked")).toBe(0);
  });
});
