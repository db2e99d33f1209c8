import type { Config } from "../../config.js";
import type { IdentityRepository } from "../../store/identity-repository.js";
import { AccountLocked } from "./errors.js";

/** Keystone's `[security_compliance] lockout_failure_attempts` and `lockout_duration`. */
export type LockoutPolicy = Pick<Config, "lockoutFailureAttempts" | "lockoutDurationSeconds">;

/** What `check` found, for `succeeded` to know whether there is anything to forget. */
export interface LockoutState {
  readonly userId: string;
  readonly failures: number;
}

/**
 * Keystone's account lockout (keystone/identity/backends/sql.py: `_is_account_locked`,
 * `_record_failed_auth`, `_reset_failed_auth`): consecutive failed passwords are counted
 * per user in the database, so the count holds across restarts and is shared by every
 * process on PostgreSQL; a success forgets them. Once a user has failed
 * `lockoutFailureAttempts` times it is refused, even with the right password, until
 * `lockoutDurationSeconds` after its last failure (or, with a duration of 0, until an admin
 * enables it again). While the lockout is off nothing is counted, so it costs no query.
 */
export class AccountLockout {
  readonly #repo: IdentityRepository;
  readonly #policy: LockoutPolicy;
  readonly #now: () => Date;

  constructor(repo: IdentityRepository, policy: LockoutPolicy, now: () => Date) {
    this.#repo = repo;
    this.#policy = policy;
    this.#now = now;
  }

  /**
   * Throws AccountLocked while the user is locked out. A lockout that has run its time is
   * ended here, as Keystone ends it: the failures are forgotten and counting starts again.
   */
  async check(userId: string): Promise<LockoutState> {
    const attempts = this.#policy.lockoutFailureAttempts;
    if (attempts === 0) return { userId, failures: 0 };
    const row = await this.#repo.authFailures(userId);
    if (!row) return { userId, failures: 0 };
    if (row.failure_count < attempts) return { userId, failures: row.failure_count };
    const duration = this.#policy.lockoutDurationSeconds;
    if (duration === 0 || Date.parse(row.last_failure_at) + duration * 1000 > this.#now().getTime()) {
      throw new AccountLocked(userId);
    }
    await this.#repo.endLockout(userId, row.last_failure_at);
    return { userId, failures: 0 };
  }

  /** Counts a wrong password. */
  async failed(userId: string): Promise<void> {
    if (this.#policy.lockoutFailureAttempts === 0) return;
    await this.#repo.recordAuthFailure(userId, this.#now().toISOString());
  }

  /** Forgets the failures once the user has authenticated. */
  async succeeded(state: LockoutState): Promise<void> {
    if (state.failures > 0) await this.#repo.clearAuthFailures(state.userId);
  }
}
