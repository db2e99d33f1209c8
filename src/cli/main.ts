import net from "node:net";
import { Command, InvalidArgumentError, Option } from "commander";
import {
  type Config,
  DEFAULT_PORT,
  DRIVER_KINDS,
  defaultConfig,
  FAKE_HOST_SIZES,
  RESPONSE_VALIDATION_MODES,
} from "../config.js";
import { loadConfigFile } from "./config-file.js";

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("must be a whole number");
  return n;
}

function positiveInteger(value: string): number {
  const n = integer(value);
  if (n < 1) throw new InvalidArgumentError("must be at least 1");
  return n;
}

const program = new Command()
  .name("nimbus")
  .description("An OpenStack-compatible compute cloud: Nova's API with Keystone and Glance, in one process.")
  .showHelpAfterError();

program
  .command("serve")
  .description(
    "Start nimbus: identity, compute and image APIs on one port, SQLite in the data directory (or PostgreSQL).",
  )
  .addOption(
    new Option("-p, --port <port>", `port to listen on (default ${DEFAULT_PORT})`)
      .env("NIMBUS_PORT")
      .argParser(integer),
  )
  .addOption(new Option("--host <address>", "address to bind (default 127.0.0.1)").env("NIMBUS_HOST"))
  .addOption(
    new Option(
      "-d, --data-dir <dir>",
      "where the SQLite database, images and clouds.yaml live (default ./data)",
    ).env("NIMBUS_DATA_DIR"),
  )
  .addOption(
    new Option(
      "--database <url>",
      "a postgres:// or postgresql:// URL to keep state in PostgreSQL (default: SQLite in the data directory)",
    ).env("NIMBUS_DATABASE"),
  )
  .addOption(
    new Option(
      "--task-key-file <file>",
      "key sealing the passwords of tasks; the same file for every process on one database (default <data-dir>/task-secrets.key)",
    ).env("NIMBUS_TASK_KEY_FILE"),
  )
  .addOption(
    new Option("--public-url <url>", "base URL clients use, for the catalog and links").env(
      "NIMBUS_PUBLIC_URL",
    ),
  )
  .addOption(
    new Option("-c, --config <file>", "a YAML or JSON file with any of these settings").env("NIMBUS_CONFIG"),
  )
  .addOption(
    new Option(
      "--driver <driver>",
      "the compute host's hypervisor: fake (simulated) or ns (containers; root)",
    )
      .choices(DRIVER_KINDS)
      .env("NIMBUS_DRIVER"),
  )
  .addOption(
    new Option("--fake-step-ms <ms>", "delay of each simulated hypervisor step (default 200)")
      .env("NIMBUS_FAKE_STEP_MS")
      .argParser(integer),
  )
  .addOption(
    new Option("--fake-hosts <n>", "simulated compute hosts this process runs (default 1)")
      .env("NIMBUS_FAKE_HOSTS")
      .argParser(integer),
  )
  .addOption(
    new Option("--fake-host-size <size>", "the size of each simulated host (default large)")
      .choices(Object.keys(FAKE_HOST_SIZES))
      .env("NIMBUS_FAKE_HOST_SIZE"),
  )
  .addOption(
    new Option("--token-ttl <seconds>", "Keystone token lifetime (default 3600)")
      .env("NIMBUS_TOKEN_TTL")
      .argParser(integer),
  )
  .addOption(
    new Option("--console-token-ttl <seconds>", "how long a remote console URL stays valid (default 600)")
      .env("NIMBUS_CONSOLE_TOKEN_TTL")
      .argParser(integer),
  )
  .addOption(
    new Option(
      "--reclaim-instance-interval <seconds>",
      "above 0, deleted servers are soft-deleted and reclaimed after this long (default 0)",
    )
      .env("NIMBUS_RECLAIM_INSTANCE_INTERVAL")
      .argParser(integer),
  )
  .addOption(
    new Option(
      "--allow-resize-to-same-host <bool>",
      "a resize may stay on the server's own host (default true with one compute host, else false)",
    )
      .choices(["true", "false"])
      .env("NIMBUS_ALLOW_RESIZE_TO_SAME_HOST"),
  )
  .addOption(
    new Option(
      "--resize-confirm-window <seconds>",
      "above 0, resizes waiting this long are confirmed automatically (default 0)",
    )
      .env("NIMBUS_RESIZE_CONFIRM_WINDOW")
      .argParser(integer),
  )
  .addOption(
    new Option(
      "--scheduler-max-attempts <n>",
      "hosts a build may try before it fails; 1 never reschedules (default 3)",
    )
      .env("NIMBUS_SCHEDULER_MAX_ATTEMPTS")
      .argParser(positiveInteger),
  )
  .addOption(
    new Option(
      "--scheduler-enabled-filters <names>",
      "nova's enabled_filters, comma-separated (default ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter)",
    )
      .env("NIMBUS_SCHEDULER_ENABLED_FILTERS")
      .argParser((value: string) =>
        value
          .split(",")
          .map((name) => name.trim())
          .filter(Boolean),
      ),
  )
  .addOption(
    new Option("--lockout-failure-attempts <n>", "failed passwords that lock a user out (default 0: never)")
      .env("NIMBUS_LOCKOUT_FAILURE_ATTEMPTS")
      .argParser(integer),
  )
  .addOption(
    new Option("--lockout-duration <seconds>", "how long a lockout lasts; 0 until re-enabled (default 1800)")
      .env("NIMBUS_LOCKOUT_DURATION")
      .argParser(integer),
  )
  .addOption(
    new Option("--auth-failure-limit <n>", "failed passwords per address and window before 429 (default 20)")
      .env("NIMBUS_AUTH_FAILURE_LIMIT")
      .argParser(integer),
  )
  .addOption(
    new Option("--auth-failure-window <seconds>", "the window of --auth-failure-limit (default 60)")
      .env("NIMBUS_AUTH_FAILURE_WINDOW")
      .argParser(integer),
  )
  .addOption(
    new Option("--image-size-total <MiB>", "image data each project may store (default unlimited)")
      .env("NIMBUS_IMAGE_SIZE_TOTAL")
      .argParser(integer),
  )
  .addOption(
    new Option("--image-count-total <n>", "images each project may have (default unlimited)")
      .env("NIMBUS_IMAGE_COUNT_TOTAL")
      .argParser(integer),
  )
  .addOption(
    new Option("--image-disk-reserve <MiB>", "free space image uploads must leave on disk (default 64)")
      .env("NIMBUS_IMAGE_DISK_RESERVE")
      .argParser(integer),
  )
  .addOption(new Option("--log-level <level>", "pino log level (default info)").env("NIMBUS_LOG_LEVEL"))
  .addOption(
    new Option(
      "--response-validation <mode>",
      "check compute responses against nova's schemas (default ignore)",
    )
      .choices(RESPONSE_VALIDATION_MODES)
      .env("NIMBUS_RESPONSE_VALIDATION"),
  )
  .action(async (options) => {
    const fromFile: Partial<Config> = options.config ? loadConfigFile(options.config) : {};
    const flags: Partial<Config> = {
      port: options.port,
      host: options.host,
      dataDir: options.dataDir,
      database: options.database,
      taskKeyFile: options.taskKeyFile,
      publicUrl: options.publicUrl,
      driver: options.driver,
      fakeStepMs: options.fakeStepMs,
      fakeHosts: options.fakeHosts,
      fakeHostCapacity: options.fakeHostSize ? FAKE_HOST_SIZES[options.fakeHostSize] : undefined,
      tokenTtlSeconds: options.tokenTtl,
      consoleTokenTtlSeconds: options.consoleTokenTtl,
      reclaimInstanceIntervalSeconds: options.reclaimInstanceInterval,
      allowResizeToSameHost:
        options.allowResizeToSameHost === undefined ? undefined : options.allowResizeToSameHost === "true",
      resizeConfirmWindowSeconds: options.resizeConfirmWindow,
      schedulerMaxAttempts: options.schedulerMaxAttempts,
      schedulerEnabledFilters: options.schedulerEnabledFilters,
      lockoutFailureAttempts: options.lockoutFailureAttempts,
      lockoutDurationSeconds: options.lockoutDuration,
      authFailureLimit: options.authFailureLimit,
      authFailureWindowSeconds: options.authFailureWindow,
      logLevel: options.logLevel,
      imageSizeTotalMiB: options.imageSizeTotal,
      imageCountTotal: options.imageCountTotal,
      imageDiskReserveMiB: options.imageDiskReserve,
      responseValidation: options.responseValidation,
    };
    const defined = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
    const settings: Partial<Config> = { ...fromFile, ...defined };
    // the catalog and clouds.yaml name the port, so "any free port" is chosen before they are written
    if (settings.port === 0) settings.port = await freePort(settings.host ?? "127.0.0.1");
    const config = defaultConfig(settings);
    const { startNimbus } = await import("../nimbus.js");
    const nimbus = await startNimbus(config).catch((error: NodeJS.ErrnoException) => {
      const reason =
        error.code === "EADDRINUSE"
          ? `port ${config.port} on ${config.host} is already in use`
          : error.message;
      console.error(`nimbus: cannot start: ${reason}`);
      process.exit(1);
    });
    const stop = async () => {
      await nimbus.close();
      process.exit(0);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });

await program.parseAsync(process.argv);
