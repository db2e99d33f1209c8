import { randomUUID } from "node:crypto";
import { EventEmitter, once } from "node:events";
import type { Transaction } from "kysely";
import type { Db } from "../store/database.js";
import type { Database, TaskRow } from "../store/schema.js";
import { TaskRepository } from "../store/task-repository.js";
import { SecretBox, SecretUnreadable } from "./secret-box.js";

/**
 * Thrown by a step that finds its work has become moot (the server was deleted
 * meanwhile): the task ends quietly, without `onFailure`.
 */
export class TaskCancelled extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "TaskCancelled";
  }
}

/** The two log levels the engine writes at (pino's and fastify's loggers both fit). */
export interface TaskLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** The secrets of a task, by name (see EnqueueRequest.secrets). */
export type TaskSecrets = Readonly<Record<string, string>>;

/** What a step of a task gets. */
export interface TaskContext<P, S extends TaskSecrets = TaskSecrets> {
  readonly task: TaskRow;
  readonly payload: P;
  /** Opened from their sealed form for this run; empty in `onFailure` when they could not be. */
  readonly secrets: S;
  /** Which attempt this is (1 on the first run; more after a crash or lease loss). */
  readonly attempt: number;
}

/**
 * One kind of durable work: named steps run in order; after each, progress is saved,
 * so work interrupted by a crash resumes at the step that was running. Steps must
 * therefore be safe to run again. A step that throws ends the task (no blind retries
 * of host operations); `onFailure` then leaves the resource in a clean end state.
 */
export interface TaskHandler<P = unknown, S extends TaskSecrets = TaskSecrets> {
  readonly kind: string;
  readonly steps: ReadonlyArray<(ctx: TaskContext<P, S>) => Promise<void>>;
  onFailure(ctx: TaskContext<P, S>, error: unknown): Promise<void>;
}

export interface TaskEngineOptions {
  /** How long a claim holds without a heartbeat. */
  leaseMs: number;
  /** Tasks run at once by this process. */
  concurrency: number;
  /** Poll interval when idle (new work in this process wakes the loop at once). */
  pollMs: number;
  /** Runs after crashes before a task is abandoned. */
  maxAttempts: number;
  /**
   * Seals the tasks' secrets. Every engine on one database needs the same key (nimbus serve
   * reads it from a key file); without one, a random key of this engine alone, so secrets of
   * tasks it leaves behind cannot be read after a restart.
   */
  secretBox: SecretBox;
}

const DEFAULTS = { leaseMs: 30_000, concurrency: 64, pollMs: 250, maxAttempts: 5 } as const;

/** Where a task's payload row holds its sealed secrets; a name no payload of a task uses. */
const SEALED = "$sealed";

export interface EnqueueRequest {
  kind: string;
  instanceUuid?: string | null;
  actionId?: number | null;
  host?: string | null;
  payload?: unknown;
  /**
   * Values the task needs but nobody may read at rest (passwords for the guest). They
   * are written sealed, opened for each run and gone with the row when the task ends;
   * a failed task's row keeps its payload without them.
   *
   * Why sealed rather than held in memory only: the task is claimed by whichever engine
   * on the database comes first, and a task resumed after a crash still needs its
   * password (the user was told the rescue's adminPass when it was accepted). Why not in
   * clear and deleted afterwards: a deleted row stays readable, in SQLite's WAL and free
   * pages as in PostgreSQL's WAL and dead tuples.
   */
  secrets?: TaskSecrets;
}

/**
 * The task engine: tasks are rows written in the same transaction as the state change
 * that asked for them, then claimed under a lease by any engine on the database.
 */
export class TaskEngine {
  readonly owner = `engine-${randomUUID()}`;
  readonly #repo: TaskRepository;
  readonly #handlers = new Map<string, TaskHandler<never, never>>();
  readonly #options: TaskEngineOptions;
  readonly #events = new EventEmitter();
  readonly #running = new Set<Promise<void>>();
  #stopped = true;
  #loop: Promise<void> | undefined;
  #wakeTimer: NodeJS.Timeout | undefined;

  constructor(
    db: Db,
    private readonly log: TaskLog,
    options: Partial<TaskEngineOptions> = {},
  ) {
    this.#repo = new TaskRepository(db);
    this.#options = { ...DEFAULTS, secretBox: new SecretBox(SecretBox.newKey()), ...options };
    this.#events.setMaxListeners(0);
  }

  register<P, S extends TaskSecrets = TaskSecrets>(handler: TaskHandler<P, S>): void {
    this.#handlers.set(handler.kind, handler as unknown as TaskHandler<never, never>);
  }

  /** Writes a task in the caller's transaction; call `wake()` after the commit. */
  async enqueue(trx: Db | Transaction<Database>, request: EnqueueRequest): Promise<string> {
    const id = randomUUID();
    let payload = request.payload ?? {};
    if (request.secrets !== undefined) {
      if (typeof payload !== "object" || payload === null || Array.isArray(payload) || SEALED in payload) {
        throw new Error(`a task with secrets needs an object payload without ${SEALED}`);
      }
      const sealed = this.#options.secretBox.seal(JSON.stringify(request.secrets), id);
      payload = { ...payload, [SEALED]: sealed };
    }
    await this.#repo.insert(trx, {
      id,
      kind: request.kind,
      instanceUuid: request.instanceUuid ?? null,
      actionId: request.actionId ?? null,
      host: request.host ?? null,
      payload,
      now: new Date().toISOString(),
    });
    return id;
  }

  wake(): void {
    this.#events.emit("wake");
  }

  /**
   * Starts claiming work. With `recoverOrphans` (the embedded single-process mode) every
   * task some earlier process left running is taken back at once instead of waiting for
   * its lease to run out.
   */
  async start(recoverOrphans: boolean): Promise<void> {
    if (recoverOrphans) {
      const released = await this.#repo.releaseOthers(this.owner, new Date().toISOString());
      if (released > 0) this.log.info({ released }, "resuming tasks left running by an earlier process");
    }
    this.#stopped = false;
    this.#loop = this.#run();
  }

  /** Stops claiming and waits for the tasks in hand to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.wake();
    await this.#loop;
    await Promise.allSettled([...this.#running]);
  }

  /** Resolves when no task is pending or running (tests and benchmarks wait on this). */
  async drain(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.#repo.countOpen()) > 0) {
      if (Date.now() > deadline) throw new Error("tasks did not drain in time");
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const free = this.#options.concurrency - this.#running.size;
      let claimed = 0;
      if (free > 0) {
        const now = new Date();
        const ids = await this.#repo.due(now.toISOString(), free);
        for (const id of ids) {
          const task = await this.#repo.claim(id, this.owner, now.toISOString(), this.#leaseUntil());
          if (!task) continue;
          claimed++;
          const run = this.#execute(task).finally(() => {
            this.#running.delete(run);
            this.wake();
          });
          this.#running.add(run);
        }
      }
      if (claimed === 0 || this.#running.size >= this.#options.concurrency) await this.#idle();
    }
  }

  async #idle(): Promise<void> {
    const ac = new AbortController();
    this.#wakeTimer = setTimeout(() => ac.abort(), this.#options.pollMs);
    try {
      await once(this.#events, "wake", { signal: ac.signal });
    } catch {
      // poll interval elapsed
    } finally {
      clearTimeout(this.#wakeTimer);
    }
  }

  #leaseUntil(): string {
    return new Date(Date.now() + this.#options.leaseMs).toISOString();
  }

  async #execute(task: TaskRow): Promise<void> {
    const handler = this.#handlers.get(task.kind);
    const { [SEALED]: sealed, ...payload } = JSON.parse(task.payload) as Record<string, unknown>;
    let secrets: TaskSecrets = {};
    let unreadable: SecretUnreadable | undefined;
    if (typeof sealed === "string") {
      try {
        secrets = JSON.parse(this.#options.secretBox.open(sealed, task.id)) as TaskSecrets;
      } catch (error) {
        if (!(error instanceof SecretUnreadable)) throw error;
        unreadable = new SecretUnreadable(`the secrets of task ${task.id} cannot be read: ${error.message}`);
      }
    }
    const ctx: TaskContext<never, never> = {
      task,
      payload: payload as never,
      secrets: secrets as never,
      attempt: task.attempts,
    };
    if (!handler) {
      await this.#repo.fail(
        task.id,
        this.owner,
        `no handler for task kind ${task.kind}`,
        new Date().toISOString(),
        JSON.stringify(payload),
      );
      return;
    }
    if (unreadable) {
      // nothing can be done without them: the handler leaves its resource in its end state
      this.log.warn({ task: task.id, kind: task.kind }, unreadable.message);
      await this.#abandon(handler, ctx, unreadable);
      return;
    }
    if (task.attempts > this.#options.maxAttempts) {
      await this.#abandon(handler, ctx, new Error(`gave up after ${task.attempts - 1} attempts`));
      return;
    }
    const heartbeat = setInterval(() => {
      void this.#repo.renew(task.id, this.owner, this.#leaseUntil()).catch(() => undefined);
    }, this.#options.leaseMs / 3);
    try {
      for (let step = task.step; step < handler.steps.length; step++) {
        await handler.steps[step]!(ctx);
        const held = await this.#repo.renew(task.id, this.owner, this.#leaseUntil(), step + 1);
        if (!held) {
          this.log.warn({ task: task.id }, "task lease lost; another engine continues it");
          return;
        }
      }
      await this.#repo.complete(task.id, this.owner);
    } catch (error) {
      if (error instanceof TaskCancelled) {
        await this.#repo.complete(task.id, this.owner);
        return;
      }
      this.log.warn({ task: task.id, kind: task.kind, err: error }, "task failed");
      await this.#abandon(handler, ctx, error);
    } finally {
      clearInterval(heartbeat);
    }
  }

  async #abandon(
    handler: TaskHandler<never, never>,
    ctx: TaskContext<never, never>,
    error: unknown,
  ): Promise<void> {
    try {
      await handler.onFailure(ctx, error);
    } finally {
      // the failed row stays for the operator to read; its secrets do not
      const payload = JSON.stringify(ctx.payload);
      await this.#repo.fail(ctx.task.id, this.owner, String(error), new Date().toISOString(), payload);
    }
  }
}
