import path from "node:path";

/** Everything a nimbus process is told at start. Flags override environment, which overrides the file. */
export interface Config {
  /** Address the single HTTP listener binds to. */
  host: string;
  port: number;
  /** Holds nimbus.sqlite (unless `database` names another store), image data and clouds.yaml. */
  dataDir: string;
  /**
   * The store: a postgres:// or postgresql:// URL (PostgreSQL, which several processes can
   * share), or null for the embedded SQLite file in the data directory.
   */
  database: string | null;
  /** Base URL clients reach this process at; defaults to http://<host>:<port>. Used in the catalog and links. */
  publicUrl: string;
  /** Keystone token lifetime. */
  tokenTtlSeconds: number;
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
}

export const DEFAULT_PORT = 8774;

export function defaultConfig(overrides: Partial<Config> = {}): Config {
  const host = overrides.host ?? "127.0.0.1";
  const port = overrides.port ?? DEFAULT_PORT;
  const config: Config = {
    host,
    port,
    dataDir: path.resolve(overrides.dataDir ?? "data"),
    database: overrides.database || null,
    publicUrl: overrides.publicUrl ?? `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`,
    tokenTtlSeconds: overrides.tokenTtlSeconds ?? 3600,
    fakeStepMs: overrides.fakeStepMs ?? 200,
    bodyLimitBytes: overrides.bodyLimitBytes ?? 1024 * 1024,
    imageSizeTotalMiB: overrides.imageSizeTotalMiB ?? -1,
    imageCountTotal: overrides.imageCountTotal ?? -1,
    imageDiskReserveMiB: overrides.imageDiskReserveMiB ?? 64,
    logLevel: overrides.logLevel ?? "info",
  };
  return config;
}
