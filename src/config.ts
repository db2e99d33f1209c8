import path from "node:path";

/** Everything a nimbus process is told at start. Flags override environment, which overrides the file. */
export interface Config {
  /** Address the single HTTP listener binds to. */
  host: string;
  port: number;
  /** Holds nimbus.sqlite (unless `database` names another store), image data and clouds.yaml. */
  dataDir: string;
  /**
   * The key that seals the passwords tasks carry (see src/tasks/key-file.ts); created when
   * missing. Processes sharing one PostgreSQL database must all be given the same file.
   */
  taskKeyFile: string;
  /**
   * The store: a postgres:// or postgresql:// URL (PostgreSQL, which several processes can
   * share), or null for the embedded SQLite file in the data directory.
   */
  database: string | null;
  /** Base URL clients reach this process at; defaults to http://<host>:<port>. Used in the catalog and links. */
  publicUrl: string;
  /** Keystone token lifetime. */
  tokenTtlSeconds: number;
  /** nova's `[consoleauth] token_ttl`: how long a remote console URL's token stays valid. */
  consoleTokenTtlSeconds: number;
  /**
   * Keystone's `[security_compliance] lockout_failure_attempts`: consecutive failed password
   * authentications after which a user is locked out; 0 (Keystone's default) never locks.
   */
  lockoutFailureAttempts: number;
  /**
   * Keystone's `[security_compliance] lockout_duration`: how long a lockout lasts; 0 keeps
   * the user locked until an admin enables it again.
   */
  lockoutDurationSeconds: number;
  /**
   * Failed password authentications one client address may make per window before password
   * authentication from it answers 429; 0 turns the limit off. Only failures count, so
   * clients that log in often from one address are never slowed down.
   */
  authFailureLimit: number;
  authFailureWindowSeconds: number;
  /**
   * nova's `reclaim_instance_interval`: above 0, deleting a server soft-deletes it (it can
   * be restored) and it is deleted for good once this many seconds have passed.
   */
  reclaimInstanceIntervalSeconds: number;
  /**
   * nova's `allow_resize_to_same_host`: a resize may stay on the server's own host. nova's
   * default is false; a process that runs one compute host defaults to true, as a
   * single-node nova is configured, so that resize works there at all.
   */
  allowResizeToSameHost: boolean;
  /** nova's `resize_confirm_window`: above 0, a resize waiting this long is confirmed by itself. */
  resizeConfirmWindowSeconds: number;
  /** nova's `[scheduler] max_attempts`: hosts a build may try before it fails (1: no reschedule). */
  schedulerMaxAttempts: number;
  /** nova's `[filter_scheduler] enabled_filters` (see tasks/support.ts DEFAULT_FILTERS). */
  schedulerEnabledFilters: string[];
  /**
   * The hypervisor of this process's compute host: `fake` (simulated guests in memory, the
   * default) or `ns` (Linux-namespace containers on this machine, one host; needs root).
   */
  driver: DriverKind;
  /** How many simulated compute hosts this process runs (each a nova-compute with its own hypervisor). */
  fakeHosts: number;
  /** The size of each simulated host (a `--fake-host-size` profile, or exact figures in the file). */
  fakeHostCapacity: FakeHostCapacity;
  /** Delay of each simulated step of the fake driver (0 = immediate). */
  fakeStepMs: number;
  /** Largest request body accepted on JSON APIs, in bytes. */
  bodyLimitBytes: number;
  /** Glance's `image_size_total` for every project: MiB of image data it may store; -1 = unlimited. */
  imageSizeTotalMiB: number;
  /** Glance's `image_count_total` for every project: images it may have; -1 = unlimited. */
  imageCountTotal: number;
  /** Free space image uploads must leave on the data directory's filesystem, in MiB. */
  imageDiskReserveMiB: number;
  /** Log level for pino ("silent" in tests). */
  logLevel: string;
  /**
   * nova's `[api] response_validation`: check each compute response against nova's response
   * schema and answer 500 (`error`), log (`warn`) or skip the check (`ignore`, the default).
   */
  responseValidation: ResponseValidation;
}

export type ResponseValidation = "error" | "warn" | "ignore";

export type DriverKind = "fake" | "ns";

export const DRIVER_KINDS: readonly DriverKind[] = ["fake", "ns"];

export interface FakeHostCapacity {
  vcpus: number;
  memoryMb: number;
  localGb: number;
}

/** Sizes of simulated host to choose from; `large` (the default) is the size nimbus has always simulated. */
export const FAKE_HOST_SIZES: Readonly<Record<string, FakeHostCapacity>> = {
  small: { vcpus: 4, memoryMb: 8192, localGb: 80 },
  medium: { vcpus: 16, memoryMb: 65_536, localGb: 500 },
  large: { vcpus: 64, memoryMb: 262_144, localGb: 2048 },
};

export const RESPONSE_VALIDATION_MODES: readonly ResponseValidation[] = ["error", "warn", "ignore"];

/**
 * The mode when none is given: `NIMBUS_RESPONSE_VALIDATION` (the variable the CLI reads too),
 * so a test run that sets it checks the responses of every app its tests build.
 */
function defaultResponseValidation(): ResponseValidation {
  const fromEnv = process.env.NIMBUS_RESPONSE_VALIDATION;
  if (fromEnv === undefined || fromEnv === "") return "ignore";
  if (!RESPONSE_VALIDATION_MODES.includes(fromEnv as ResponseValidation)) {
    throw new Error(`NIMBUS_RESPONSE_VALIDATION must be one of ${RESPONSE_VALIDATION_MODES.join(", ")}`);
  }
  return fromEnv as ResponseValidation;
}

/**
 * nova's default `[filter_scheduler] enabled_filters`. ComputeFilter (enabled, up hosts) and
 * the server group filters always apply (tasks/support.ts); the list decides the hint and image filters.
 */
export const DEFAULT_FILTERS = [
  "ComputeFilter",
  "ComputeCapabilitiesFilter",
  "ImagePropertiesFilter",
  "ServerGroupAntiAffinityFilter",
  "ServerGroupAffinityFilter",
];

export const DEFAULT_PORT = 8774;

export function defaultConfig(overrides: Partial<Config> = {}): Config {
  const host = overrides.host ?? "127.0.0.1";
  const port = overrides.port ?? DEFAULT_PORT;
  const dataDir = path.resolve(overrides.dataDir ?? "data");
  const config: Config = {
    host,
    port,
    dataDir,
    taskKeyFile: path.resolve(overrides.taskKeyFile ?? path.join(dataDir, "task-secrets.key")),
    database: overrides.database || null,
    publicUrl: overrides.publicUrl ?? `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`,
    tokenTtlSeconds: overrides.tokenTtlSeconds ?? 3600,
    consoleTokenTtlSeconds: overrides.consoleTokenTtlSeconds ?? 600,
    lockoutFailureAttempts: overrides.lockoutFailureAttempts ?? 0,
    lockoutDurationSeconds: overrides.lockoutDurationSeconds ?? 1800,
    authFailureLimit: overrides.authFailureLimit ?? 20,
    authFailureWindowSeconds: overrides.authFailureWindowSeconds ?? 60,
    reclaimInstanceIntervalSeconds: overrides.reclaimInstanceIntervalSeconds ?? 0,
    driver: overrides.driver ?? "fake",
    fakeHosts: overrides.fakeHosts ?? 1,
    allowResizeToSameHost: overrides.allowResizeToSameHost ?? (overrides.fakeHosts ?? 1) === 1,
    resizeConfirmWindowSeconds: overrides.resizeConfirmWindowSeconds ?? 0,
    schedulerMaxAttempts: overrides.schedulerMaxAttempts ?? 3,
    schedulerEnabledFilters: overrides.schedulerEnabledFilters ?? [...DEFAULT_FILTERS],
    fakeHostCapacity: overrides.fakeHostCapacity ?? FAKE_HOST_SIZES.large!,
    fakeStepMs: overrides.fakeStepMs ?? 200,
    bodyLimitBytes: overrides.bodyLimitBytes ?? 1024 * 1024,
    imageSizeTotalMiB: overrides.imageSizeTotalMiB ?? -1,
    imageCountTotal: overrides.imageCountTotal ?? -1,
    imageDiskReserveMiB: overrides.imageDiskReserveMiB ?? 64,
    logLevel: overrides.logLevel ?? "info",
    responseValidation: overrides.responseValidation ?? defaultResponseValidation(),
  };
  if (!DRIVER_KINDS.includes(config.driver)) {
    throw new Error(`driver must be one of ${DRIVER_KINDS.join(", ")}, not ${String(config.driver)}`);
  }
  return config;
}
