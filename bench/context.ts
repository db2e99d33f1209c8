import type { Session } from "./client.js";
import type { CloudConfig } from "./cloud-config.js";
import type { NimbusProcess } from "./nimbus-process.js";
import type { Population } from "./population.js";
import type { Progress } from "./progress.js";
import type { BootSpec, PollPolicy } from "./servers.js";

export type Mode = "quick" | "full";

/** How much each scenario does; one set per mode, chosen to fit the mode's time budget on 2 cores. */
export interface Sizes {
  /** The whole run should end within this many seconds; population levels that would not fit are skipped. */
  budgetS: number;
  bootDelete: {
    levels: Array<{ concurrency: number; servers: number }>;
    /** No new iteration starts after this many seconds of a level. */
    levelTimeS: number;
  };
  list: {
    /** Servers present in the project when the listings are timed. */
    populations: number[];
    /** Timed requests per kind of listing, at most... */
    samples: number;
    /** ...and for at most this many seconds per kind. */
    timeS: number;
  };
  /** Populations at which nimbus's RSS is read (nimbus only). */
  rssPopulations: number[];
  throughput: {
    connections: number[];
    /**
     * Connection counts for `POST /v3/auth/tokens`. Each token costs a password hash (a
     * deliberately slow one), so a run at 64 connections leaves seconds of hashing queued.
     */
    tokenConnections: number[];
    durationS: number;
    minServers: number;
  };
  /** Fresh-data-directory starts timed by the footprint scenario. */
  startups: number;
  /** Servers per `POST /servers` (min_count = max_count) and POSTs in flight while seeding nimbus. */
  seed: { batch: number; inFlight: number };
  /** Scheduling at scale: a nimbus of `hosts` fake hosts, `servers` booted by `concurrency` workers. */
  scaleHosts: { hosts: number; servers: number; concurrency: number; levelTimeS: number };
}

export const SIZES: Record<Mode, Sizes> = {
  quick: {
    budgetS: 57,
    bootDelete: {
      levels: [
        { concurrency: 1, servers: 10 },
        { concurrency: 10, servers: 20 },
      ],
      levelTimeS: 10,
    },
    list: { populations: [200], samples: 10, timeS: 1.5 },
    rssPopulations: [200],
    throughput: { connections: [8, 64], tokenConnections: [8], durationS: 2, minServers: 100 },
    // The start of the nimbus under test is timed anyway; a second one would not fit the minute.
    startups: 0,
    seed: { batch: 100, inFlight: 2 },
    scaleHosts: { hosts: 500, servers: 500, concurrency: 50, levelTimeS: 20 },
  },
  full: {
    budgetS: 570,
    bootDelete: {
      levels: [
        { concurrency: 1, servers: 50 },
        { concurrency: 10, servers: 200 },
        { concurrency: 50, servers: 500 },
      ],
      levelTimeS: 60,
    },
    // 30,000 is an extra level: about the largest population nimbus can seed within the
    // budget on 2 cores (~170 servers/s), so that the trend between 10,000 and 100,000 is
    // measured even when 100,000 has to be skipped (a larger --budget reaches it).
    list: { populations: [1_000, 10_000, 30_000, 100_000], samples: 30, timeS: 15 },
    rssPopulations: [10_000, 30_000, 100_000],
    throughput: { connections: [8, 64], tokenConnections: [8, 64], durationS: 10, minServers: 100 },
    startups: 3,
    seed: { batch: 1000, inFlight: 2 },
    scaleHosts: { hosts: 10_000, servers: 10_000, concurrency: 50, levelTimeS: 300 },
  },
};

export type Target =
  | { kind: "nimbus"; nimbus: NimbusProcess; admin: Session }
  | { kind: "cloud"; cloud: CloudConfig };

/** Everything a scenario gets: who to measure, with what, how much, and where to report progress. */
export interface BenchContext {
  mode: Mode;
  sizes: Sizes;
  target: Target;
  /** The project member's session (nimbus: the demo user) that boots and lists. */
  user: Session;
  boot: BootSpec;
  poll: PollPolicy;
  progress: Progress;
  population: Population;
  /** Every server the run creates is named `<namePrefix>-...`. */
  namePrefix: string;
  /** `performance.now()` value by which the run should be over. */
  deadline: number;
}

/** A part of a scenario that was not measured, and why. */
export interface Skip {
  what: string;
  why: string;
}

/** What every scenario reports besides its figures. */
export interface ScenarioOutcome {
  status: "ok" | "failed";
  /** Why the scenario failed, when it did. */
  error?: string;
  notes: string[];
  skipped: Skip[];
}

export function outcome(): ScenarioOutcome {
  return { status: "ok", notes: [], skipped: [] };
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export const NEEDS_NIMBUS = "skipped: needs nimbus";
