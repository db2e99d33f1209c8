/**
 * Conformance with nova's api_samples: for every response sample of an API nimbus
 * implements, at every microversion up to the one nimbus advertises, nimbus's answer to
 * the request that produced the sample has the same structure (keys, nesting, value
 * types). The table in samples-table.ts says which request that is, which samples are
 * out of scope and which differences are accepted, each with its reason.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_VERSION } from "../../src/http/compute/microversion.js";
import { corpus, globMatches, isResponseName, loadSample, sampleExists, sampleFile } from "./corpus.js";
import { World } from "./harness.js";
import {
  ACCEPTED,
  type AcceptedDifference,
  MAPS,
  NOT_IMPLEMENTED,
  REQUEST_FIXES,
  REQUEST_ROWS,
  ROWS,
  SAMPLE_VALUES,
  WORLD_SETUP,
} from "./samples-table.js";
import { compareStructure, formatDifference, pathMatches } from "./structure.js";

const advertised = corpus().filter((f) => f.version.compare(MAX_VERSION) <= 0);
const responses = advertised.filter((f) => f.response);
const rowIds = new Set(ROWS.map((r) => r.sample));
const notImplemented = (id: string) => NOT_IMPLEMENTED.filter((n) => globMatches(n.samples, id));

describe("the api_samples table", () => {
  it("accounts for every response sample up to the advertised microversion", () => {
    const unaccounted = responses.filter((f) => !rowIds.has(f.id) && notImplemented(f.id).length === 0);
    expect(unaccounted.map((f) => f.id)).toEqual([]);
  });

  it("compares each sample once, and only existing response samples nimbus advertises", () => {
    const seen = new Set<string>();
    const problems: string[] = [];
    for (const row of ROWS) {
      if (seen.has(row.sample)) problems.push(`${row.sample}: listed twice`);
      seen.add(row.sample);
      if (!sampleExists(row.sample)) problems.push(`${row.sample}: no such sample`);
      else if (!isResponseName(sampleFile(row.sample).name))
        problems.push(`${row.sample}: not a response sample`);
      if (sampleFile(row.sample).version.compare(MAX_VERSION) > 0)
        problems.push(`${row.sample}: above ${MAX_VERSION}`);
      for (const n of notImplemented(row.sample))
        problems.push(`${row.sample}: also "not implemented" (${n.samples})`);
    }
    expect(problems).toEqual([]);
  });

  it("has no not-implemented entry, accepted difference or request fix that matches nothing", () => {
    const stale = [
      ...NOT_IMPLEMENTED.filter((n) => !responses.some((f) => globMatches(n.samples, f.id))).map(
        (n) => n.samples,
      ),
      ...ACCEPTED.filter((a) => !ROWS.some((r) => globMatches(a.samples, r.sample))).map((a) => a.samples),
      ...REQUEST_FIXES.filter((f) => !sampleExists(f.sample)).map((f) => f.sample),
    ];
    expect(stale).toEqual([]);
  });

  it("gives a reason for every exception", () => {
    const silent = [...NOT_IMPLEMENTED, ...ACCEPTED, ...REQUEST_FIXES].filter(
      (e) => e.reason.trim().length < 10,
    );
    expect(silent).toEqual([]);
  });
});

describe("nimbus answers with the structure of nova's api_samples", () => {
  let world: World;
  /** Accepted differences that some row needed, and the rows that got as far as comparing. */
  const used = new Set<AcceptedDifference>();
  const compared = new Set<string>();

  beforeAll(async () => {
    const from = sampleFile(ROWS[0]!.sample);
    world = await World.start({
      sampleValues: SAMPLE_VALUES,
      fixes: REQUEST_FIXES,
      setup: WORLD_SETUP,
      from,
    });
    await world.sweep(from);
  });
  afterAll(async () => {
    await world?.close();
  });

  for (const row of ROWS) {
    it(row.sample, async () => {
      const file = sampleFile(row.sample);
      const caller = row.as ?? "member";
      const ctx = { caller, version: file.version.toString(), from: file, vars: world.scope(caller) };
      try {
        for (const step of row.setup ?? []) await world.run(step, ctx);
        const answer = await world.send(row.request, ctx);
        const differences = compareStructure(loadSample(row.sample), answer.body, {
          maps: [...MAPS, ...(row.maps ?? [])],
        });
        compared.add(row.sample);
        const open = differences.filter((d) => {
          const accepted = ACCEPTED.find(
            (a) => a.kind === d.kind && globMatches(a.samples, row.sample) && pathMatches(a.path, d.path),
          );
          if (accepted) used.add(accepted);
          return !accepted;
        });
        if (open.length > 0) {
          const lines = open.map((d) => `  ${formatDifference(d)}`).join("\n");
          throw new Error(
            `${row.sample} (at ${file.version} as ${caller}) differs from nova's sample:\n${lines}`,
          );
        }
      } finally {
        await world.sweep(file);
      }
    });
  }

  for (const row of REQUEST_ROWS) {
    it(`accepts ${row.sample}`, async () => {
      const file = sampleFile(row.sample);
      const caller = row.as ?? "member";
      const ctx = { caller, version: file.version.toString(), from: file, vars: world.scope(caller) };
      try {
        for (const step of row.setup ?? []) await world.run(step, ctx);
        const answer = await world.send(row.request, ctx);
        if (row.empty) expect(answer.body, `${row.sample}: nova answers without a body`).toBeUndefined();
      } finally {
        await world.sweep(file);
      }
    });
  }

  it("needs every accepted difference it lists", () => {
    // an entry counts as stale only when every row it covers got as far as comparing
    const stale = ACCEPTED.filter(
      (a) =>
        !used.has(a) &&
        ROWS.filter((r) => globMatches(a.samples, r.sample)).every((r) => compared.has(r.sample)),
    );
    if (stale.length > 0) {
      const lines = stale.map((a) => `  ${a.samples}: ${a.kind} at ${a.path}`).join("\n");
      throw new Error(`accepted differences no row needs any more:\n${lines}`);
    }
  });
});
