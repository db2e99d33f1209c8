import { type BenchContext, errorText, NEEDS_NIMBUS } from "./context.js";
import { type BootListResult, measureListAt } from "./scenarios/boot-list.js";
import { type FootprintResult, recordRss } from "./scenarios/footprint.js";

const fmt = (n: number) => n.toLocaleString("en-US");

/**
 * Grows the project's population level by level (populations only grow, so the listings
 * of scenario 2 and the RSS readings of scenario 4 share one seeding), and at each level
 * times the listings and reads RSS, as selected. A level whose seeding would not fit the
 * remaining time budget, at the seeding rate measured so far, is skipped with the figures
 * that say why, and so is every larger one.
 */
export async function populationSweep(
  ctx: BenchContext,
  list: BootListResult | undefined,
  footprint: FootprintResult | undefined,
): Promise<void> {
  const isNimbus = ctx.target.kind === "nimbus";
  const listLevels = list ? ctx.sizes.list.populations : [];
  const rssLevels = footprint && isNimbus ? ctx.sizes.rssPopulations : [];
  const skip = (level: number, why: string) => {
    if (listLevels.includes(level)) list?.skipped.push({ what: `listing with ${fmt(level)} servers`, why });
    if (rssLevels.includes(level)) footprint?.skipped.push({ what: `RSS with ${fmt(level)} servers`, why });
  };
  const levels = [...new Set([...listLevels, ...rssLevels])].sort((a, b) => a - b);
  let stopReason: string | null = null;
  for (const level of levels) {
    if (!isNimbus && level > 1000) {
      skip(level, `${NEEDS_NIMBUS} (seeding this many servers is only done on a nimbus the suite started)`);
      continue;
    }
    if (stopReason !== null) {
      skip(level, stopReason);
      continue;
    }
    const remainingS = (ctx.deadline - performance.now()) / 1000;
    const seedS = ctx.population.estimateS(level);
    // Three listings, each timed for at most timeS after one warm-up request.
    const measureS = listLevels.includes(level) ? 3 * ctx.sizes.list.timeS + 3 : 2;
    if (seedS !== null && seedS * 1.15 + measureS > remainingS) {
      stopReason =
        `seeding to ${fmt(level)} servers at the measured ${Math.round(ctx.population.rate ?? 0)} servers/s ` +
        `would take ~${Math.round(seedS)} s, and measuring ~${Math.round(measureS)} s more; ` +
        `${Math.max(0, Math.round(remainingS))} s of the ${ctx.sizes.budgetS} s budget remain (see --budget)`;
      skip(level, stopReason);
      continue;
    }
    ctx.progress.scenario(`population ${fmt(level)}`);
    // Seeding stops early enough to leave time for the measurements at this level.
    const grown = await ctx.population.ensure(level, ctx.deadline - measureS * 1000);
    if (!grown.ok) {
      stopReason = grown.reason;
      if (!grown.broken) skip(level, grown.reason);
      else
        for (const result of [list, footprint])
          if (result) {
            result.status = "failed";
            result.error = `growing the population to ${fmt(level)} servers: ${grown.reason}`;
          }
      continue;
    }
    if (list && listLevels.includes(level)) {
      try {
        list.levels.push(await measureListAt(ctx, ctx.population.count));
      } catch (error) {
        list.status = "failed";
        list.error = errorText(error);
      }
    }
    if (footprint && rssLevels.includes(level)) await recordRss(ctx, footprint, ctx.population.count);
  }
}
