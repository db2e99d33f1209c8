import { describe, expect, it } from "vitest";
import { percentile, Samples, summarize } from "./stats.js";

const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

describe("percentile", () => {
  it("is the nearest rank: the smallest value with p% of values at or below it", () => {
    expect(percentile(oneToHundred, 50)).toBe(50);
    expect(percentile(oneToHundred, 90)).toBe(90);
    expect(percentile(oneToHundred, 99)).toBe(99);
    expect(percentile(oneToHundred, 99.9)).toBe(100);
    expect(percentile(oneToHundred, 100)).toBe(100);
    expect(percentile(oneToHundred, 0)).toBe(1);
  });

  it("never interpolates between observed values", () => {
    expect(percentile([10, 20], 50)).toBe(10);
    expect(percentile([10, 20], 51)).toBe(20);
    expect(percentile([1, 2, 3, 4], 75)).toBe(3);
  });

  it("refuses no values and out-of-range percentiles", () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe("summarize", () => {
  it("sorts a copy and reports count, min, mean, p50, p90, p99 and max", () => {
    const shuffled = [...oneToHundred].reverse();
    expect(summarize(shuffled)).toEqual({
      count: 100,
      min: 1,
      mean: 50.5,
      p50: 50,
      p90: 90,
      p99: 99,
      max: 100,
    });
    expect(shuffled[0]).toBe(100);
  });

  it("sorts numerically, not as strings", () => {
    expect(summarize([9, 10, 100, 2]).max).toBe(100);
    expect(summarize([9, 10, 100, 2]).min).toBe(2);
  });

  it("gives one sample as every percentile", () => {
    expect(summarize([7.5])).toEqual({
      count: 1,
      min: 7.5,
      mean: 7.5,
      p50: 7.5,
      p90: 7.5,
      p99: 7.5,
      max: 7.5,
    });
  });

  it("reports nothing measured as nulls rather than zeros", () => {
    expect(summarize([])).toEqual({
      count: 0,
      min: null,
      mean: null,
      p50: null,
      p90: null,
      p99: null,
      max: null,
    });
  });

  it("puts a slow tail in p99 and max but not in p50", () => {
    const values = [...Array.from({ length: 990 }, () => 1), ...Array.from({ length: 10 }, () => 500)];
    const s = summarize(values);
    expect(s.p50).toBe(1);
    expect(s.p90).toBe(1);
    expect(s.p99).toBe(1);
    expect(s.max).toBe(500);
    values.push(500);
    expect(summarize(values).p99).toBe(500);
  });
});

describe("Samples", () => {
  it("grows past its initial capacity without losing values", () => {
    const samples = new Samples(2);
    for (const v of oneToHundred) samples.add(v);
    expect(samples.length).toBe(100);
    expect(Array.from(samples.values())).toEqual(oneToHundred);
    expect(samples.summary().p90).toBe(90);
  });

  it("summarizes only what was added", () => {
    const samples = new Samples(16);
    samples.add(3);
    samples.add(1);
    expect(samples.summary()).toMatchObject({ count: 2, min: 1, max: 3, p50: 1 });
    expect(new Samples().summary().count).toBe(0);
  });
});
