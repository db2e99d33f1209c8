/** Rows per statement of a batch: well inside SQLite's (32,766) and PostgreSQL's (65,535) bounds on parameters. */
export const BATCH_ROWS = 500;

/** `items` in slices of at most `size`, for statements that take a list each. */
export function chunks<T>(items: readonly T[], size = BATCH_ROWS): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
