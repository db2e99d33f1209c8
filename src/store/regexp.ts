import v8 from "node:v8";

/**
 * Regular expressions from requests (nova's name, hostname and ip filters) run inside the
 * synchronous SQLite call, so one hostile pattern such as `^(a+)+$` used to hold the whole
 * process for seconds. Three bounds make them safe by construction:
 *
 * - a pattern is at most REGEXP_MAX_LENGTH characters;
 * - it must be one V8 can run in linear time (no backreferences, lookarounds or huge counted
 *   repeats), and V8 is told to switch a match to its linear-time engine once it backtracks
 *   too much — so ordinary patterns keep the backtracking engine's speed, and no single match
 *   can run away;
 * - all the matches run in one turn of the event loop share a time budget (REGEXP_BUDGET_MS):
 *   a SQLite statement runs within one turn, so every regex condition of a query together
 *   holds the loop at most that long; past it the query is abandoned with RegexpFilterRefused.
 *
 * RE2 (native or WebAssembly) was weighed: the native binding needs minutes of C++ build on
 * every install, and the WebAssembly one costs ~8 µs a match, 60× the JIT, on every listing.
 */
v8.setFlagsFromString("--enable-experimental-regexp-engine");
v8.setFlagsFromString("--enable-experimental-regexp-engine-on-excessive-backtracks");
v8.setFlagsFromString("--regexp-backtracks-before-fallback=10000");

export const REGEXP_MAX_LENGTH = 1000;
/** Time the matches of one turn of the event loop (one SQLite statement) may take in all. */
export const REGEXP_BUDGET_MS = 50;

/** A filter pattern refused before or while it runs; the edge answers 400 with the message. */
export class RegexpFilterRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RegexpFilterRefused";
  }
}

/** Compiled filters by source; `null` for a pattern that is not a regular expression (it matches nothing). */
const compiled = new Map<string, RegExp | null>();
const COMPILED_CACHE_SIZE = 1000;

/**
 * The RegExp for a filter pattern, or null when the pattern is not a regular expression at all
 * (such a filter matches nothing, on both engines). Throws RegexpFilterRefused for a pattern
 * too long or one that cannot run in linear time.
 */
export function filterRegExp(pattern: string): RegExp | null {
  let re = compiled.get(pattern);
  if (re !== undefined) return re;
  if (pattern.length > REGEXP_MAX_LENGTH) {
    throw new RegexpFilterRefused(
      `Regular expression filter is longer than ${REGEXP_MAX_LENGTH} characters.`,
    );
  }
  try {
    re = new RegExp(pattern);
  } catch {
    re = null;
  }
  if (re) {
    try {
      // only to prove it: the `l` flag compiles for the linear engine or refuses
      new RegExp(pattern, "l");
    } catch {
      throw new RegexpFilterRefused(
        `Regular expression filter ${JSON.stringify(pattern)} cannot be evaluated in linear time ` +
          "(backreferences, lookarounds and large counted repeats are not supported).",
      );
    }
  }
  if (compiled.size >= COMPILED_CACHE_SIZE) compiled.delete(compiled.keys().next().value!);
  compiled.set(pattern, re);
  return re;
}

/** Time the matches of the current turn of the event loop have taken; reset at the next turn. */
let spentThisTurn = 0;
let resetPending = false;

function charge(ms: number): number {
  spentThisTurn += ms;
  if (!resetPending) {
    resetPending = true;
    setImmediate(() => {
      spentThisTurn = 0;
      resetPending = false;
    });
  }
  return spentThisTurn;
}

/**
 * One match against `value`: 1, 0, or RegexpFilterRefused once this turn's budget is spent.
 * Called by SQLite for every row a condition reads.
 */
export function budgetedMatch(pattern: string, value: unknown): 0 | 1 {
  if (value === null || value === undefined) return 0;
  const re = filterRegExp(pattern);
  if (!re) return 0;
  const start = performance.now();
  const hit = re.test(String(value));
  if (charge(performance.now() - start) > REGEXP_BUDGET_MS) {
    throw new RegexpFilterRefused(
      `Regular expression filter ${JSON.stringify(pattern)} took too long to evaluate; use a simpler pattern.`,
    );
  }
  return hit ? 1 : 0;
}
