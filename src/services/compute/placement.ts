import type { Transaction } from "kysely";
import type { Db } from "../../store/database.js";
import type { FlavorSnapshot } from "../../store/instance-record.js";
import {
  capacityOf,
  type Inventory,
  PlacementRepository,
  type ProviderUsage,
} from "../../store/placement-repository.js";
import type { Database, ResourceProviderRow } from "../../store/schema.js";

/** The resource classes a compute node reports and a flavor asks for. */
export const ResourceClass = { VCPU: "VCPU", MEMORY_MB: "MEMORY_MB", DISK_GB: "DISK_GB" } as const;

export type Resources = Partial<Record<string, number>>;

/**
 * nova's defaults for what a compute node offers: `initial_cpu_allocation_ratio` 4.0,
 * `initial_ram_allocation_ratio` and `initial_disk_allocation_ratio` 1.0,
 * `reserved_host_memory_mb` 512, no reserved CPUs or disk.
 */
const NODE_DEFAULTS = {
  [ResourceClass.VCPU]: { allocationRatio: 4.0, reserved: 0 },
  [ResourceClass.MEMORY_MB]: { allocationRatio: 1.0, reserved: 512 },
  [ResourceClass.DISK_GB]: { allocationRatio: 1.0, reserved: 0 },
} as const;

/** A compute node's inventories, as nova's resource tracker reports them to placement. */
export function nodeInventories(node: { vcpus: number; memoryMb: number; localGb: number }): Inventory[] {
  const totals = {
    [ResourceClass.VCPU]: node.vcpus,
    [ResourceClass.MEMORY_MB]: node.memoryMb,
    [ResourceClass.DISK_GB]: node.localGb,
  };
  return Object.entries(totals).map(([resourceClass, total]) => ({
    resourceClass,
    total,
    reserved: NODE_DEFAULTS[resourceClass as keyof typeof NODE_DEFAULTS].reserved,
    minUnit: 1,
    maxUnit: total,
    stepSize: 1,
    allocationRatio: NODE_DEFAULTS[resourceClass as keyof typeof NODE_DEFAULTS].allocationRatio,
  }));
}

/** What a server of this flavor holds (nova's resources_from_flavor: swap MiB rounded up to GiB). */
export function flavorResources(
  flavor: Pick<FlavorSnapshot, "vcpus" | "memory_mb" | "root_gb" | "ephemeral_gb" | "swap">,
): Resources {
  return {
    [ResourceClass.VCPU]: flavor.vcpus,
    [ResourceClass.MEMORY_MB]: flavor.memory_mb,
    [ResourceClass.DISK_GB]: flavor.root_gb + flavor.ephemeral_gb + Math.ceil(flavor.swap / 1024),
  };
}

export { capacityOf };

/** What is left of a class on the provider (0 when it has none of it). */
export function freeOf(usage: ProviderUsage, resourceClass: string): number {
  const inventory = usage.inventories.get(resourceClass);
  return inventory ? capacityOf(inventory) - (usage.used.get(resourceClass) ?? 0) : 0;
}

/** Whether the provider can take `resources` now: every class within its units and what is left. */
export function fits(usage: ProviderUsage, resources: Resources): boolean {
  return Object.entries(resources).every(([resourceClass, amount = 0]) => {
    if (amount <= 0) return true;
    const inventory = usage.inventories.get(resourceClass);
    if (!inventory || amount < inventory.minUnit || amount > inventory.maxUnit) return false;
    return amount <= freeOf(usage, resourceClass);
  });
}

/**
 * nova's placement, in-process: a resource provider per compute node and the claims of
 * servers against them. A claim locks its provider, checks what is left and allocates in
 * the caller's transaction, so concurrent claims can never take more than a host has.
 */
export class Placement {
  readonly #repo: PlacementRepository;

  constructor(db: Db) {
    this.#repo = new PlacementRepository(db);
  }

  /** Registers a compute node as a provider (its uuid the node's) with its inventories. */
  async register(
    trx: Transaction<Database>,
    node: { uuid: string; name: string; vcpus: number; memoryMb: number; localGb: number },
    now: string,
  ): Promise<void> {
    await this.registerAll(trx, [node], now);
  }

  /** register for many nodes, in a few statements per 500 (a process starting 10,000 hosts). */
  async registerAll(
    trx: Transaction<Database>,
    nodes: ReadonlyArray<{ uuid: string; name: string; vcpus: number; memoryMb: number; localGb: number }>,
    now: string,
  ): Promise<void> {
    const ids = await this.#repo.saveProviders(trx, nodes, now);
    await this.#repo.setInventoriesOf(
      trx,
      nodes.map((node) => ({ providerId: ids.get(node.name)!, inventories: nodeInventories(node) })),
    );
  }

  /** Claims `resources` on `host` for `consumer` in `trx`; false when they do not fit there. */
  async claim(
    trx: Transaction<Database>,
    host: string,
    consumer: string,
    resources: Resources,
  ): Promise<boolean> {
    if (!(await this.#repo.lock(trx, host))) return false;
    const [usage] = await this.#repo.usages([host], trx);
    if (!usage || !fits(usage, resources)) return false;
    const held = Object.fromEntries(Object.entries(resources).map(([k, v]) => [k, v ?? 0]));
    await this.#repo.allocate(trx, usage.providerId, consumer, held, new Date().toISOString());
    return true;
  }

  /**
   * A move's claims on one host (nova's move claims with `allow_resize_to_same_host`): what
   * the server holds passes to its migration, and `resources` are claimed for the server on
   * `host` (its own, or a cold migration's destination); false, and nothing changed, when
   * they do not fit there.
   */
  async claimMove(
    trx: Transaction<Database>,
    host: string,
    consumer: string,
    migration: string,
    resources: Resources,
  ): Promise<boolean> {
    await this.#repo.moveAllocations(trx, consumer, migration);
    if (await this.claim(trx, host, consumer, resources)) return true;
    await this.#repo.moveAllocations(trx, migration, consumer);
    return false;
  }

  /**
   * Ends a move: the migration's claims are dropped (confirm) or go back to the server in
   * place of the new ones (revert). A migration that holds nothing (its claim never made)
   * leaves the server's claims as they are.
   */
  async endMove(consumer: string, migration: string, revert: boolean): Promise<void> {
    if (!revert) return this.#repo.release(migration);
    await this.#repo.db.transaction().execute(async (trx) => {
      if ((await this.#repo.allocationsOf(migration, trx)).size === 0) return;
      await this.#repo.release(consumer, trx);
      await this.#repo.moveAllocations(trx, migration, consumer);
    });
  }

  /**
   * nova-manage's heal_allocations: a server on `host` that holds nothing (placed before
   * nimbus kept claims) is given its flavor's claim there, whatever room is left.
   */
  async heal(host: string, consumer: string, resources: Resources): Promise<void> {
    await this.#repo.db.transaction().execute(async (trx) => {
      if ((await this.#repo.allocationsOf(consumer, trx)).size > 0) return;
      const [usage] = await this.#repo.usages([host], trx);
      if (!usage) return;
      const held = Object.fromEntries(Object.entries(resources).map(([k, v]) => [k, v ?? 0]));
      await this.#repo.allocate(trx, usage.providerId, consumer, held, new Date().toISOString());
    });
  }

  /** Frees what the consumer holds, on every host. */
  release(consumer: string, executor?: Db | Transaction<Database>): Promise<void> {
    return this.#repo.release(consumer, executor);
  }

  usages(hosts?: readonly string[]): Promise<ProviderUsage[]> {
    return this.#repo.usages(hosts);
  }

  /** What `consumer` holds, by provider name and resource class (empty when nothing). */
  allocationsOf(consumer: string): Promise<Map<string, Record<string, number>>> {
    return this.#repo.allocationsOf(consumer);
  }

  // ---- what the Placement API reads ------------------------------------------------

  /** The resource providers in id order; only the one of `name` or `uuid` when asked. */
  providers(filter: { name?: string; uuid?: string } = {}): Promise<ResourceProviderRow[]> {
    return this.#repo.providers(filter);
  }

  /** What each consumer holds on one provider, by resource class. */
  allocationsOn(providerId: number): Promise<Map<string, Record<string, number>>> {
    return this.#repo.allocationsOn(providerId);
  }

  /** What a consumer holds on each provider (placement's GET /allocations/{consumer}). */
  consumerAllocations(
    consumer: string,
  ): Promise<Array<{ uuid: string; generation: number; resources: Record<string, number> }>> {
    return this.#repo.consumerAllocations(consumer);
  }

  /** The project and user of a consumer's server (placement 1.12's consumer owner). */
  consumerOwner(consumer: string): Promise<{ projectId: string; userId: string } | undefined> {
    return this.#repo.consumerOwner(consumer);
  }

  /** What a project's (and a user's) consumers hold, by resource class (placement's /usages). */
  projectUsage(projectId: string, userId?: string): Promise<Record<string, number>> {
    return this.#repo.projectUsage(projectId, userId);
  }
}

/**
 * The hosts that can take `resources`, best first: nova's RAM weigher spreads servers (the
 * most free RAM first), its name breaking ties so that placements are the same every run.
 */
export function rankHosts(usages: readonly ProviderUsage[], resources: Resources): string[] {
  return usages
    .filter((u) => fits(u, resources))
    .sort(
      (a, b) =>
        freeOf(b, ResourceClass.MEMORY_MB) - freeOf(a, ResourceClass.MEMORY_MB) ||
        a.name.localeCompare(b.name),
    )
    .map((u) => u.name);
}
