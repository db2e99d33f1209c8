import type { Config } from "../../config.js";

/** How many failed password authentications one source may make per window. */
export type ThrottlePolicy = Pick<Config, "authFailureLimit" | "authFailureWindowSeconds">;

/** Sources remembered at most; past that, the oldest window is forgotten. */
const MAX_SOURCES = 10_000;

interface Window {
  start: number;
  failures: number;
}

/**
 * A per-source limit on failed password authentications, against password guessing from
 * one address. Each source gets a window that opens with its first failure; once it has
 * failed `authFailureLimit` times in it, every password authentication from it is refused
 * (the right password too, or the answers would tell a right guess from a wrong one) until
 * the window ends. Successes neither count nor reset, so logging in often is never
 * slowed and a valid login cannot wipe an attacker's count.
 *
 * It lives in memory: each process of a scale-out deployment limits on its own (the
 * per-user lockout, in the database, is the limit they share), and a restart forgets it.
 */
export class AuthFailureThrottle {
  readonly #windows = new Map<string, Window>();
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #now: () => Date;

  constructor(policy: ThrottlePolicy, now: () => Date) {
    this.#limit = policy.authFailureLimit;
    this.#windowMs = policy.authFailureWindowSeconds * 1000;
    this.#now = now;
  }

  /** Whole seconds until `source` may authenticate with a password again; 0 if it may now. */
  retryAfter(source: string): number {
    const window = this.#windows.get(source);
    if (!window || window.failures < this.#limit) return 0;
    const left = window.start + this.#windowMs - this.#now().getTime();
    if (left <= 0) {
      this.#windows.delete(source);
      return 0;
    }
    return Math.ceil(left / 1000);
  }

  /** Counts a failed password authentication from `source`. */
  failed(source: string): void {
    if (this.#limit === 0) return;
    const now = this.#now().getTime();
    const window = this.#windows.get(source);
    if (window && now < window.start + this.#windowMs) {
      window.failures += 1;
      return;
    }
    this.#windows.delete(source);
    this.#makeRoom();
    this.#windows.set(source, { start: now, failures: 1 });
  }

  /**
   * Windows enter the map as they open, so its first key is the window that opened longest
   * ago: an ended one whenever any has ended.
   */
  #makeRoom(): void {
    while (this.#windows.size >= MAX_SOURCES) {
      this.#windows.delete(this.#windows.keys().next().value as string);
    }
  }
}
