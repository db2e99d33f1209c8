/**
 * Concurrent metadata merges on one server keep each other's keys: each merge reads the
 * server's metadata under its row lock, inside the transaction that writes it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComputeHarness, computeHarness } from "../../../test/compute-harness.js";

let h: ComputeHarness;
beforeAll(async () => {
  h = await computeHarness();
});
afterAll(async () => h.close());

describe("POST /servers/{id}/metadata, many at once", () => {
  it("loses no key", async () => {
    const id = await h.activeServer();
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    const answers = await Promise.all(
      keys.map((key) =>
        h.call({ method: "POST", url: `/servers/${id}/metadata`, body: { metadata: { [key]: "v" } } }),
      ),
    );
    for (const r of answers) expect(r.status, r.text).toBe(200);
    const shown = await h.call({ url: `/servers/${id}/metadata` });
    expect(Object.keys(shown.json.metadata).sort()).toEqual([...keys].sort());

    const deleted = await Promise.all(
      keys.slice(0, 10).map((key) => h.call({ method: "DELETE", url: `/servers/${id}/metadata/${key}` })),
    );
    for (const r of deleted) expect(r.status, r.text).toBe(204);
    const left = await h.call({ url: `/servers/${id}/metadata` });
    expect(Object.keys(left.json.metadata).sort()).toEqual(keys.slice(10).sort());
  });
});
