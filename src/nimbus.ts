import { randomUUID } from "node:crypto";
import os from "node:os";
import type { FastifyInstance } from "fastify";
import type { DestinationStream } from "pino";
import type { Config } from "./config.js";
import { createHttpServer } from "./http/app.js";
import { computeRoutes } from "./http/compute/index.js";
import { mountCompute } from "./http/compute/router.js";
import { registerIdentity } from "./http/identity/router.js";
import { registerImage } from "./http/image/router.js";
import { registerNetwork } from "./http/network/router.js";
import { registerPlacement } from "./http/placement/router.js";
import { registerSerialConsole } from "./http/serial-console.js";
import { AggregateService } from "./services/compute/aggregate-service.js";
import { ComputeService } from "./services/compute/compute-service.js";
import { ConsoleService } from "./services/compute/console-service.js";
import { FlavorService } from "./services/compute/flavor-service.js";
import { HostService } from "./services/compute/host-service.js";
import { HypervisorService } from "./services/compute/hypervisor-service.js";
import { KeypairService } from "./services/compute/keypair-service.js";
import { flavorResources, Placement } from "./services/compute/placement.js";
import type { ComputePorts } from "./services/compute/ports.js";
import { type ScheduledEvent, scheduledChannel } from "./services/compute/scheduler.js";
import { ServerGroupService } from "./services/compute/server-group-service.js";
import { registerComputeTasks } from "./services/compute/tasks/index.js";
import { TaskSupport } from "./services/compute/tasks/support.js";
import { TenantUsageService } from "./services/compute/tenant-usage.js";
import type { AuthContext } from "./services/context.js";
import { Conflict } from "./services/errors.js";
import { bootstrapIdentity, createdAccountsNotice } from "./services/identity/bootstrap.js";
import { IdentityService } from "./services/identity/identity-service.js";
import { ImageService } from "./services/image/image-service.js";
import { bootstrapNetworks } from "./services/network/bootstrap-network.js";
import { InstanceNetworking } from "./services/network/instance-networking.js";
import { NeutronService } from "./services/network/neutron-service.js";
import { QuotaService } from "./services/quota/quota-service.js";
import { type Db, openDatabase } from "./store/database.js";
import type { FlavorSnapshot, Instance } from "./store/instance-record.js";
import { redactedUrl } from "./store/postgres.js";
import { TaskEngine } from "./tasks/engine.js";
import { openKeyFile } from "./tasks/key-file.js";
import type { Driver, GuestSpec } from "./virt/driver.js";
import { FakeDriver } from "./virt/fake/driver.js";
import { type DefaultImageStore, ensureDefaultImage } from "./virt/ns/default-image.js";
import { nsDir, openNsHost } from "./virt/ns/deployment.js";
import type { NsDriver } from "./virt/ns/driver.js";
import { DEFAULT_TOOLS } from "./virt/ns/probe.js";
import { PowerState } from "./virt/power-state.js";
import { DriverRegistry } from "./virt/registry.js";

/** A running nimbus: its HTTP server, the services behind it and the task engine. */
export interface Nimbus {
  readonly config: Config;
  readonly app: FastifyInstance;
  readonly db: Db;
  readonly engine: TaskEngine;
  readonly compute: ComputeService;
  /** The compute hosts of this process. */
  readonly drivers: DriverRegistry;
  /** The URL it listens on (with the real port when 0 was asked for). */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The composition root of the embedded deployment: one process, SQLite in the data
 * directory (or the PostgreSQL database of `config.database`), the task engine and an
 * in-process compute host: simulated (fake driver) or this machine's containers (ns driver).
 */
export async function startNimbus(
  config: Config,
  options: { listen?: boolean; logStream?: DestinationStream } = {},
): Promise<Nimbus> {
  // a machine that cannot run containers is refused before anything starts, naming what it lacks
  const nsHost = config.driver === "ns" ? await openNsHostOf(config, (id) => images.dataPath(id)) : undefined;
  const db = await openDatabase(config.dataDir, config.database);
  const app = createHttpServer(config, options.logStream);
  const log = app.log;

  const identity = new IdentityService({ db, config });
  const images = new ImageService(db, {
    dataDir: config.dataDir,
    limits: { imageSizeTotalMiB: config.imageSizeTotalMiB, imageCountTotal: config.imageCountTotal },
    freeDiskReserveBytes: config.imageDiskReserveMiB * 1024 * 1024,
  });
  const flavors = new FlavorService(db);
  const quota = new QuotaService(db);
  const keypairs = new KeypairService(db, quota);
  const serverGroups = new ServerGroupService(db, quota);
  const neutron = new NeutronService(db);

  const drivers = new DriverRegistry();
  const computeHosts: Driver[] = nsHost
    ? [nsHost]
    : fakeHostNames(os.hostname(), config.fakeHosts).map(
        (hostname) =>
          new FakeDriver({ hostname, stepMs: config.fakeStepMs, capacity: config.fakeHostCapacity }),
      );
  for (const driver of computeHosts) drivers.add(driver);
  const network = new InstanceNetworking(neutron, drivers);
  const placement = new Placement(db);
  // the conductor and scheduler run in this process, on this machine
  const hosts: HostService = new HostService(db, drivers, {
    controlHost: os.hostname(),
    placement,
    zones: (computeHosts) => aggregates.availabilityZones(computeHosts),
    computeBack: (host) => compute.events.cleanUpEvacuated(host),
  });
  const aggregates = new AggregateService(db, {
    hostExists: async (host) => (await hosts.computeOn(host)) !== undefined,
    images,
  });

  const ports: ComputePorts = {
    flavors,
    keypairs,
    images,
    quota,
    serverGroups,
    zones: { of: (computeHosts) => aggregates.availabilityZones([...computeHosts]) },
    hosts: {
      statuses: (computeHosts) => hosts.hostStatuses(computeHosts),
      computeUp: async (host) => (await hosts.computeOn(host))?.up ?? false,
    },
  };

  const engine = new TaskEngine(db, log, { secretBox: await openKeyFile(config.taskKeyFile) });
  const compute = new ComputeService(db, engine, ports, network, drivers, placement, {
    reclaimInstanceIntervalSeconds: config.reclaimInstanceIntervalSeconds,
    allowResizeToSameHost: config.allowResizeToSameHost,
    resizeConfirmWindowSeconds: config.resizeConfirmWindowSeconds,
  });
  registerComputeTasks(
    engine,
    new TaskSupport(
      db,
      compute.instances,
      compute.actions,
      drivers,
      network,
      ports.images,
      ports.zones,
      placement,
      { maxAttempts: config.schedulerMaxAttempts, enabledFilters: config.schedulerEnabledFilters },
    ),
  );

  const boot = await bootstrapIdentity(db, config);
  await flavors.ensureDefaults();
  await images.ensureBootstrapImage({ owner: boot.admin.projectId });
  if (nsHost) {
    await ensureDefaultImage(imagesAsAdmin(images, boot.admin.projectId), {
      busybox: DEFAULT_TOOLS.busybox,
      workDir: nsDir(config.dataDir),
    });
  }
  await bootstrapNetworks(neutron, {
    adminProjectId: boot.admin.projectId,
    demoProjectId: boot.demo.projectId,
  });
  for (const driver of computeHosts) {
    // containers outlive nimbus on their own; fake guests are handed back from the database
    if (driver instanceof FakeDriver) await adoptGuests(compute, network, driver);
    // as nova-compute's init_host: what was evacuated from the host while it was away goes
    await compute.events.cleanUpEvacuated(driver.hostname);
  }
  await hosts.start();

  const authenticate = identity.authenticate.bind(identity);
  await registerIdentity(app, { identity, config });
  await registerImage(app, { images, authenticate, config });
  await registerNetwork(app, { neutron, authenticate, config });
  await registerPlacement(app, { placement, authenticate, config });
  const consoles = new ConsoleService(db, drivers, {
    publicUrl: config.publicUrl,
    ttlSeconds: config.consoleTokenTtlSeconds,
  });
  registerSerialConsole(app, consoles);
  await mountCompute(
    app,
    authenticate,
    computeRoutes({
      compute,
      flavors,
      keypairs,
      serverGroups,
      quotas: quota,
      projectExists: (id) => identity.projectExists(id),
      hosts,
      hypervisors: new HypervisorService(db, hosts, drivers, placement),
      usage: new TenantUsageService(db),
      aggregates,
      network,
      neutron,
      consoles,
      images,
    }),
    config.responseValidation,
  );

  // each placement's timing, at debug level (nova's scheduler logs its choices at debug too)
  const logScheduled = (event: unknown) => log.debug(event as ScheduledEvent, "scheduled");
  if (["debug", "trace"].includes(config.logLevel)) scheduledChannel.subscribe(logScheduled);
  await engine.start(true);
  const ended = await compute.events.endOrphanedOperations();
  if (ended > 0) log.warn({ servers: ended }, "ended operations that had no task left to finish them");
  compute.deletion.startReclaiming((error) =>
    log.error({ err: error }, "reclaiming soft-deleted servers failed"),
  );
  compute.moves.startConfirming((error) =>
    log.error({ err: error }, "confirming resizes past resize_confirm_window failed"),
  );
  let url = config.publicUrl;
  if (options.listen !== false) {
    const address = await app.listen({ host: config.host, port: config.port });
    url = address;
    const database = config.database ? redactedUrl(config.database) : "sqlite";
    log.info({ url: address, dataDir: config.dataDir, database }, "nimbus is serving");
    for (const account of boot.accounts) {
      if (account.created)
        log.info({ user: account.userName, project: account.projectName }, "created account");
    }
    // passwords go to the terminal, never into the structured log (see createdAccountsNotice)
    const notice = createdAccountsNotice(boot);
    if (notice) process.stderr.write(notice);
    if (boot.cloudsYaml.written)
      log.info({ file: boot.cloudsYaml.path }, "wrote clouds.yaml: export OS_CLOUD=nimbus");
  }

  return {
    config,
    app,
    db,
    engine,
    compute,
    drivers,
    url,
    async close() {
      await app.close();
      compute.deletion.stopReclaiming();
      compute.moves.stopConfirming();
      await engine.stop();
      scheduledChannel.unsubscribe(logScheduled);
      hosts.stop();
      await db.destroy();
    },
  };
}

/** This machine as an ns host (one per process: the containers run here). */
async function openNsHostOf(
  config: Config,
  dataPath: (imageId: string) => Promise<string | null>,
): Promise<NsDriver> {
  if (config.fakeHosts !== 1) {
    throw new Error(
      `fakeHosts (${config.fakeHosts}) is for the fake driver: the ns driver runs one compute host, this machine`,
    );
  }
  return openNsHost({
    hostname: os.hostname(),
    dataDir: config.dataDir,
    images: { imageFile: async (id) => (await dataPath(id)) ?? undefined },
  });
}

/** Glance's calls the ns default image is made with, as nimbus itself in the admin project. */
function imagesAsAdmin(images: ImageService, projectId: string): DefaultImageStore {
  const ctx: AuthContext = {
    userId: "nimbus",
    userName: "nimbus",
    projectId,
    projectName: "admin",
    roles: ["admin"],
    isAdmin: true,
    requestId: `req-${randomUUID()}`,
  };
  return {
    dataPath: (id) => images.dataPath(id),
    async create(spec) {
      try {
        await images.create(ctx, { ...spec, visibility: "public", owner: projectId });
        return true;
      } catch (error) {
        if (error instanceof Conflict) return false;
        throw error;
      }
    },
    async upload(id, data) {
      await images.upload(ctx, id, data);
    },
  };
}

/** The simulated compute hosts: this machine's name for one, `<name>-1` … `<name>-N` for more. */
export function fakeHostNames(machine: string, count: number): string[] {
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`fakeHosts must be a whole number of at least 1, not ${count}`);
  return count === 1 ? [machine] : Array.from({ length: count }, (_, i) => `${machine}-${i + 1}`);
}

/**
 * Fake guests live in memory: after a restart, hand the fake host back the servers the
 * database places on it, in the power state last recorded, as if they had survived, with
 * their ports plugged in again (as nova-compute's init_host plugs its servers' VIFs) and
 * their claims on the host made where they lack them (servers placed before claims were kept).
 */
async function adoptGuests(
  compute: ComputeService,
  network: InstanceNetworking,
  driver: FakeDriver,
): Promise<void> {
  const rows = await compute.instances.onHost(driver.hostname);
  for (const instance of rows) {
    driver.adopt({ ...guestOf(instance), ...sizeOf(instance.flavor) }, instance.powerState as never);
    await network.replug(instance.uuid, driver.hostname);
    await compute.placement.heal(driver.hostname, instance.uuid, flavorResources(instance.flavor));
  }
  // a move away from this host that has not ended left the server's old guest here, off
  // (as a real host keeps its disk): confirm removes it, revert starts it again
  const moves = await compute.migrations.list({ host: driver.hostname, order: "id" });
  for (const move of moves) {
    if (move.source_compute !== driver.hostname || MOVE_ENDED.has(move.status)) continue;
    const instance = await compute.instances.get(move.instance_uuid);
    if (!instance || instance.host === driver.hostname || instance.launchedAt === null) continue;
    driver.adopt(
      { ...guestOf(instance), ...sizeOf(instance.oldFlavor ?? instance.flavor) },
      PowerState.SHUTDOWN,
    );
  }
}

/** The migration statuses after which no guest of the move is left on its source. */
const MOVE_ENDED = new Set(["confirmed", "reverted", "error", "failed", "cancelled", "completed"]);

/** A server's guest as its host runs it, without its size (see sizeOf). */
function guestOf(instance: Instance): Omit<GuestSpec, "vcpus" | "memoryMb" | "rootGb"> {
  return {
    uuid: instance.uuid,
    name: instance.name,
    hostname: instance.hostname,
    imageRef: instance.imageRef,
    userData: instance.userData,
    keyData: instance.keyData,
    addresses: instance.addresses.filter((a) => a.type === "fixed").map((a) => a.address),
  };
}

const sizeOf = (flavor: FlavorSnapshot) => ({
  vcpus: flavor.vcpus,
  memoryMb: flavor.memory_mb,
  rootGb: flavor.root_gb,
});
