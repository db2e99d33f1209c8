import pino from "pino";
import { describe, expect, it } from "vitest";
import { openTestDatabase } from "../store/testing.js";
import { TaskCancelled, TaskEngine, type TaskHandler } from "./engine.js";
import { SecretBox, SecretUnreadable } from "./secret-box.js";

const log = pino({ level: "silent" });

describe("TaskEngine", () => {
  it("runs the steps of a task in order and removes it when done", async () => {
    const { db, close } = await openTestDatabase();
    const engine = new TaskEngine(db, log, { pollMs: 20 });
    const seen: string[] = [];
    engine.register<{ tag: string }>({
      kind: "t",
      steps: [
        async (c) => void seen.push(`a-${c.payload.tag}`),
        async (c) => void seen.push(`b-${c.payload.tag}`),
      ],
      onFailure: async () => undefined,
    });
    await engine.enqueue(db, { kind: "t", payload: { tag: "x" } });
    await engine.start(false);
    await engine.drain(5000);
    await engine.stop();
    expect(seen).toEqual(["a-x", "b-x"]);
    expect(await db.selectFrom("tasks").selectAll().execute()).toEqual([]);
    await close();
  });

  it("calls onFailure once and keeps the failed row when a step throws", async () => {
    const { db, close } = await openTestDatabase();
    const engine = new TaskEngine(db, log, { pollMs: 20 });
    const failures: string[] = [];
    engine.register({
      kind: "boom",
      steps: [
        async () => {
          throw new Error("host on fire");
        },
      ],
      onFailure: async (_c, e) => void failures.push(String(e)),
    });
    await engine.enqueue(db, { kind: "boom" });
    await engine.start(false);
    await engine.drain(5000);
    await engine.stop();
    expect(failures).toEqual(["Error: host on fire"]);
    const rows = await db.selectFrom("tasks").selectAll().execute();
    expect(rows.map((r) => [r.state, r.last_error])).toEqual([["failed", "Error: host on fire"]]);
    await close();
  });

  it("ends a cancelled task quietly", async () => {
    const { db, close } = await openTestDatabase();
    const engine = new TaskEngine(db, log, { pollMs: 20 });
    let failed = false;
    engine.register({
      kind: "moot",
      steps: [
        async () => {
          throw new TaskCancelled("gone");
        },
      ],
      onFailure: async () => {
        failed = true;
      },
    });
    await engine.enqueue(db, { kind: "moot" });
    await engine.start(false);
    await engine.drain(5000);
    await engine.stop();
    expect(failed).toBe(false);
    expect(await db.selectFrom("tasks").selectAll().execute()).toEqual([]);
    await close();
  });

  it("resumes a task left running by a dead process at the step it was on", async () => {
    const { db, close } = await openTestDatabase();
    const seen: number[] = [];
    const handler: TaskHandler = {
      kind: "resumable",
      steps: [0, 1, 2].map((i) => async () => void seen.push(i)),
      onFailure: async () => undefined,
    };
    const first = new TaskEngine(db, log);
    const id = await first.enqueue(db, { kind: "resumable" });
    // what a process killed after finishing step 0 leaves behind
    await db
      .updateTable("tasks")
      .set({
        state: "running",
        step: 1,
        lease_owner: "engine-dead",
        lease_expires_at: "2999-01-01T00:00:00.000Z",
      })
      .where("id", "=", id)
      .execute();
    const second = new TaskEngine(db, log, { pollMs: 20 });
    second.register(handler);
    await second.start(true);
    await second.drain(5000);
    await second.stop();
    expect(seen).toEqual([1, 2]);
    await close();
  });

  it("lets only one of two engines claim a task", async () => {
    const { db, close } = await openTestDatabase();
    const a = new TaskEngine(db, log, { pollMs: 10 });
    const b = new TaskEngine(db, log, { pollMs: 10 });
    let runs = 0;
    for (const e of [a, b]) {
      e.register({
        kind: "once",
        steps: [
          async () => {
            runs++;
            await new Promise((r) => setTimeout(r, 20));
          },
        ],
        onFailure: async () => undefined,
      });
    }
    for (let i = 0; i < 20; i++) await a.enqueue(db, { kind: "once" });
    await Promise.all([a.start(false), b.start(false)]);
    await a.drain(10_000);
    await Promise.all([a.stop(), b.stop()]);
    expect(runs).toBe(20);
    await close();
  });

  describe("secrets", () => {
    const PASSWORD = "correct-horse-battery-staple";

    it("keeps them sealed in the row, and hands them to the steps of a run resumed by another engine", async () => {
      const { db, close } = await openTestDatabase();
      const box = new SecretBox(SecretBox.newKey());
      const seen: unknown[] = [];
      const handler: TaskHandler<{ host: string }, { password: string }> = {
        kind: "guarded",
        steps: [0, 1].map((i) => async (c) => void seen.push([i, c.payload, c.secrets.password])),
        onFailure: async () => undefined,
      };
      const first = new TaskEngine(db, log, { secretBox: box });
      const id = await first.enqueue(db, {
        kind: "guarded",
        payload: { host: "h1" },
        secrets: { password: PASSWORD },
      });
      const [row] = await db.selectFrom("tasks").select("payload").where("id", "=", id).execute();
      expect(row?.payload).not.toContain(PASSWORD);
      expect(Object.keys(JSON.parse(row!.payload))).toEqual(["host", "$sealed"]);
      // a process killed after step 0; the next one has the same key (its key file)
      await db
        .updateTable("tasks")
        .set({
          state: "running",
          step: 1,
          lease_owner: "engine-dead",
          lease_expires_at: "2999-01-01T00:00:00.000Z",
        })
        .where("id", "=", id)
        .execute();
      const second = new TaskEngine(db, log, { pollMs: 20, secretBox: box });
      second.register(handler);
      await second.start(true);
      await second.drain(5000);
      await second.stop();
      expect(seen).toEqual([[1, { host: "h1" }, PASSWORD]]);
      await close();
    });

    it("drops them from the row of a failed task, which keeps the rest of its payload", async () => {
      const { db, close } = await openTestDatabase();
      const engine = new TaskEngine(db, log, { pollMs: 20 });
      engine.register({
        kind: "boom",
        steps: [
          async () => {
            throw new Error("host on fire");
          },
        ],
        onFailure: async () => undefined,
      });
      await engine.enqueue(db, { kind: "boom", payload: { host: "h1" }, secrets: { password: PASSWORD } });
      await engine.start(false);
      await engine.drain(5000);
      await engine.stop();
      const rows = await db.selectFrom("tasks").selectAll().execute();
      expect(rows.map((r) => [r.state, JSON.parse(r.payload)])).toEqual([["failed", { host: "h1" }]]);
      await close();
    });

    it("ends a task whose secrets another key sealed through onFailure, without them", async () => {
      const { db, close } = await openTestDatabase();
      const failures: unknown[] = [];
      let ran = false;
      const writer = new TaskEngine(db, log);
      await writer.enqueue(db, { kind: "guarded", payload: { host: "h1" }, secrets: { password: PASSWORD } });
      const reader = new TaskEngine(db, log, { pollMs: 20 });
      reader.register({
        kind: "guarded",
        steps: [
          async () => {
            ran = true;
          },
        ],
        onFailure: async (c, e) => void failures.push([c.payload, c.secrets, e instanceof SecretUnreadable]),
      });
      await reader.start(false);
      await reader.drain(5000);
      await reader.stop();
      expect(ran).toBe(false);
      expect(failures).toEqual([[{ host: "h1" }, {}, true]]);
      const rows = await db.selectFrom("tasks").selectAll().execute();
      expect(rows.map((r) => [r.state, JSON.parse(r.payload)])).toEqual([["failed", { host: "h1" }]]);
      await close();
    });
  });
});
