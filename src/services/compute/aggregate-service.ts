import { randomUUID } from "node:crypto";
import { nowIso } from "../../clock.js";
import {
  type AggregateRecord,
  AggregateRepository,
  type Executor,
  type PlacedServer,
} from "../../store/aggregate-repository.js";
import type { Db } from "../../store/database.js";
import { isUniqueViolation } from "../../store/identity-repository.js";
import type { AuthContext } from "../context.js";
import { Conflict, ImageNotFound, InvalidInput, NotFound } from "../errors.js";

/** The zone of a compute host that no aggregate names (nova's default_availability_zone). */
export const DEFAULT_AZ = "nova";

/** A host aggregate as the API shows it; its availability zone is its `availability_zone` metadata. */
export interface Aggregate extends AggregateRecord {
  availabilityZone: string | null;
}

export type { PlacedServer };

/** The metadata key that gives an aggregate's hosts their availability zone. */
export const AZ_KEY = "availability_zone";

/** What the aggregate service needs from its neighbours. */
export interface AggregatePorts {
  /** Whether `host` is a compute host nova would know (it has a nova-compute service). */
  hostExists(host: string): Promise<boolean>;
  images: {
    /** Throws ImageNotFound when the caller cannot see the image. */
    get(ctx: AuthContext, id: string): Promise<unknown>;
  };
}

// ---- nova's aggregate errors ------------------------------------------------------------

export class AggregateNotFound extends NotFound {
  constructor(readonly aggregateId: number) {
    super(`Aggregate ${aggregateId} could not be found.`);
  }
}

export class AggregateNameExists extends Conflict {
  constructor(readonly aggregateName: string) {
    super(`Aggregate ${aggregateName} already exists.`);
  }
}

export class ComputeHostNotFound extends NotFound {
  constructor(readonly host: string) {
    super(`Compute host ${host} could not be found.`);
  }
}

export class AggregateHostExists extends Conflict {
  constructor(aggregateId: number, host: string) {
    super(`Aggregate ${aggregateId} already has host ${host}.`);
  }
}

export class AggregateHostNotFound extends NotFound {
  constructor(aggregateId: number, host: string) {
    super(`Aggregate ${aggregateId} has no host ${host}.`);
  }
}

export class AggregateMetadataKeyExists extends InvalidInput {
  constructor(aggregateId: number, key: string) {
    super(`Aggregate ${aggregateId} already contain metadata key ${key}.`);
  }
}

/** What an InvalidAggregateAction was refusing; nova words each differently. */
export type AggregateAction = "add_host" | "remove_host" | "update" | "update_metadata";

const ACTION_WORDS: Record<AggregateAction, string> = {
  add_host: "Cannot add host to aggregate",
  // nova's InvalidAggregateActionDelete: also what refusing to delete an aggregate says
  remove_host: "Cannot remove host from aggregate",
  update: "Cannot update aggregate",
  update_metadata: "Cannot update metadata of aggregate",
};

/** nova's InvalidAggregateAction family: a 400, except on add_host / remove_host (409). */
export class InvalidAggregateAction extends InvalidInput {
  constructor(
    readonly action: AggregateAction,
    aggregateId: number,
    reason: string,
  ) {
    super(`${ACTION_WORDS[action]} ${aggregateId}. Reason: ${reason}.`);
  }
}

/** Python's repr of a list of strings, as nova's messages print it: `['az1', 'az2']`. */
function pyList(items: string[]): string {
  const repr = (s: string) => {
    const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
    const escaped = s
      .replace(/\\/g, "\\\\")
      .replace(/\n/g, "\\n")
      .replace(/\r/g, "\\r")
      .replace(/\t/g, "\\t")
      .replaceAll(quote, `\\${quote}`);
    return `${quote}${escaped}${quote}`;
  };
  return `[${items.map(repr).join(", ")}]`;
}

const zoneOf = (a: AggregateRecord): string | undefined => a.metadata[AZ_KEY];

const toAggregate = (a: AggregateRecord): Aggregate => ({ ...a, availabilityZone: zoneOf(a) ?? null });

/** A write that lost a race for a unique name or membership (PostgreSQL) fails as the check would have. */
const onDuplicate = (conflict: () => Error) => (error: unknown) => {
  throw isUniqueViolation(error) ? conflict() : error;
};

/** nova's warning to whoever would move servers between zones by regrouping hosts. */
const movesServers = (
  verb: "added to" | "removed from",
  from: string | null,
  to: string | null,
  count: number,
) =>
  `The host cannot be ${verb} the aggregate as the availability zone of the host would change from ` +
  `'${from ?? "None"}' to '${to ?? "None"}' but the host already has ${count} instance(s). Changing the AZ ` +
  "of an existing instance is not supported by this action. Move the instances away from this host then " +
  "try again. If you need to move the instances between AZs then you can use shelve_offload and unshelve " +
  "to achieve this.";

/**
 * Host aggregates (nova's AggregateAPI): named groups of compute hosts with metadata. An
 * aggregate's `availability_zone` metadata puts its hosts in that zone, so the rules of
 * nova's is_safe_to_update_az hold: a host is never in two different zones, an aggregate's
 * zone cannot be emptied, and a zone change that would move existing servers to another
 * zone is refused.
 */
export class AggregateService {
  readonly #db: Db;
  readonly #repo: AggregateRepository;
  readonly #ports: AggregatePorts;

  constructor(db: Db, ports: AggregatePorts) {
    this.#db = db;
    this.#repo = new AggregateRepository(db);
    this.#ports = ports;
  }

  async list(): Promise<Aggregate[]> {
    return (await this.#repo.list()).map(toAggregate);
  }

  async get(id: number): Promise<Aggregate> {
    return toAggregate(await this.#find(this.#db, id));
  }

  /** A new aggregate, in the zone `availabilityZone` when one is given. */
  async create(name: string, availabilityZone: string | null): Promise<Aggregate> {
    const id = await this.#db
      .transaction()
      .execute(async (trx) => {
        const result = await this.#repo.insert(trx, {
          uuid: randomUUID(),
          name,
          createdAt: nowIso(),
          metadata: availabilityZone ? { [AZ_KEY]: availabilityZone } : {},
        });
        if (!result.ok) throw new AggregateNameExists(name);
        return result.id;
      })
      .catch(onDuplicate(() => new AggregateNameExists(name)));
    return this.get(id);
  }

  /**
   * Renames an aggregate and/or moves it to another zone (`availabilityZone` present; null
   * is refused, as an empty zone name is). All or nothing.
   */
  async update(id: number, changes: { name?: string; availabilityZone?: string | null }): Promise<Aggregate> {
    await this.#db
      .transaction()
      .execute(async (trx) => {
        let aggregate = await this.#lockedFind(trx, id);
        if (changes.name !== undefined) {
          if (!(await this.#repo.rename(trx, id, changes.name))) throw new AggregateNameExists(changes.name);
          aggregate = { ...aggregate, name: changes.name };
        }
        if (changes.availabilityZone !== undefined) {
          const metadata = { [AZ_KEY]: changes.availabilityZone };
          await this.#checkZone(trx, aggregate, metadata, "update", aggregate.hosts, true);
          await this.#repo.setMetadata(trx, id, metadata);
        }
        await this.#repo.touch(trx, id, nowIso());
      })
      .catch(onDuplicate(() => new AggregateNameExists(changes.name ?? "")));
    return this.get(id);
  }

  /** Sets metadata keys and deletes those given null (nova's set_metadata action). */
  async setMetadata(id: number, metadata: Record<string, string | null>): Promise<Aggregate> {
    await this.#db.transaction().execute(async (trx) => {
      const aggregate = await this.#lockedFind(trx, id);
      await this.#checkZone(trx, aggregate, metadata, "update_metadata", aggregate.hosts, true);
      // nova's database compares keys without case: a key that differs from an existing
      // one only in case cannot be added beside it
      for (const [key, value] of Object.entries(metadata)) {
        if (value === null) continue;
        const clash = Object.keys(aggregate.metadata).find(
          (k) => k !== key && k.toLowerCase() === key.toLowerCase(),
        );
        if (clash !== undefined) throw new AggregateMetadataKeyExists(id, clash);
      }
      await this.#repo.setMetadata(trx, id, metadata);
      await this.#repo.touch(trx, id, nowIso());
    });
    return this.get(id);
  }

  /** Deletes an aggregate that has no hosts left. */
  async delete(id: number): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const aggregate = await this.#lockedFind(trx, id);
      if (aggregate.hosts.length > 0) {
        throw new InvalidAggregateAction("remove_host", id, "Host aggregate is not empty");
      }
      await this.#repo.delete(trx, id);
    });
  }

  /** Adds a compute host; it takes the aggregate's zone, if the zone rules allow. */
  async addHost(id: number, host: string): Promise<Aggregate> {
    if (!(await this.#ports.hostExists(host))) throw new ComputeHostNotFound(host);
    await this.#db
      .transaction()
      .execute(async (trx) => {
        const aggregate = await this.#lockedFind(trx, id);
        await this.#checkZone(trx, aggregate, aggregate.metadata, "add_host", [host], false);
        const newZone = zoneOf(aggregate);
        const servers = await this.#repo.serversOn([host], trx);
        if (servers.length > 0 && newZone) {
          const oldZone = (await this.#zonesOf(trx, host))[0] ?? null;
          if (oldZone !== newZone) {
            throw new InvalidAggregateAction(
              "add_host",
              id,
              movesServers("added to", oldZone, newZone, servers.length),
            );
          }
        }
        if (aggregate.hosts.includes(host)) throw new AggregateHostExists(id, host);
        await this.#repo.addHost(trx, id, host);
      })
      .catch(onDuplicate(() => new AggregateHostExists(id, host)));
    return this.get(id);
  }

  /** Removes a compute host, unless that would move its servers out of their zone. */
  async removeHost(id: number, host: string): Promise<Aggregate> {
    if (!(await this.#ports.hostExists(host))) throw new ComputeHostNotFound(host);
    await this.#db.transaction().execute(async (trx) => {
      const aggregate = await this.#lockedFind(trx, id);
      const currentZone = zoneOf(aggregate);
      const servers = await this.#repo.serversOn([host], trx);
      // as nova, checked before knowing whether the host is in the aggregate at all
      if (servers.length > 0 && currentZone) {
        const newZone = (await this.#zonesOf(trx, host, id))[0] ?? null;
        if (newZone !== currentZone) {
          throw new InvalidAggregateAction(
            "remove_host",
            id,
            movesServers("removed from", currentZone, newZone, servers.length),
          );
        }
      }
      if (!(await this.#repo.removeHost(trx, id, host))) throw new AggregateHostNotFound(id, host);
    });
    return this.get(id);
  }

  /**
   * nova's image pre-caching request (2.81): the images must exist and be named once each.
   * The drivers keep no image cache to warm, so once accepted there is nothing left to do.
   */
  async cacheImages(ctx: AuthContext, id: number, imageIds: string[]): Promise<void> {
    if (new Set(imageIds).size !== imageIds.length) throw new InvalidInput("Duplicate images in request");
    await this.#find(this.#db, id);
    for (const imageId of imageIds) {
      try {
        await this.#ports.images.get(ctx, imageId);
      } catch (error) {
        // nova's conductor lets ImageNotFound reach the API, which answers any NovaException with 400
        if (error instanceof ImageNotFound) throw new InvalidInput(`Image ${imageId} could not be found.`);
        throw error;
      }
    }
  }

  // ---- availability zones of hosts --------------------------------------------------

  /** The availability zone nova reports for a compute host: its aggregates' zone, else the default zone. */
  async availabilityZoneOf(host: string): Promise<string> {
    return (await this.availabilityZones([host])).get(host)!;
  }

  /** The zone of each host, as {@link availabilityZoneOf} (several zones, never allowed to arise, would be joined with ","). */
  async availabilityZones(hosts: string[]): Promise<Map<string, string>> {
    const aggregates = await this.#repo.holding(hosts);
    const zones = new Map<string, string>();
    for (const host of hosts) {
      const named = new Set<string>();
      for (const a of aggregates) {
        const zone = zoneOf(a);
        if (zone !== undefined && a.hosts.includes(host)) named.add(zone);
      }
      zones.set(host, named.size > 0 ? [...named].join(",") : DEFAULT_AZ);
    }
    return zones;
  }

  /** The live servers placed on these hosts (what os-hosts counts, and what a zone change would move). */
  async serversOn(hosts: string[]): Promise<PlacedServer[]> {
    return this.#repo.serversOn(hosts);
  }

  // ---- the parts --------------------------------------------------------------------

  /**
   * The aggregate, inside a transaction that changes aggregates: every aggregate row is
   * locked first, so that the zone rules (one zone per host, servers never moved between
   * zones), which read other aggregates, see no change another transaction is making.
   * SQLite serialises transactions anyway; PostgreSQL would let two add_host of one host
   * to aggregates of different zones both pass their checks.
   */
  async #lockedFind(trx: Executor, id: number): Promise<AggregateRecord> {
    await this.#repo.lockAll(trx);
    return this.#find(trx, id);
  }

  async #find(executor: Executor, id: number): Promise<AggregateRecord> {
    const aggregate = await this.#repo.find(id, executor);
    if (!aggregate) throw new AggregateNotFound(id);
    return aggregate;
  }

  /** The zones the aggregates holding `host` give it (leaving out aggregate `exceptId`). */
  async #zonesOf(executor: Executor, host: string, exceptId?: number): Promise<string[]> {
    const zones = new Set<string>();
    for (const a of await this.#repo.holding([host], executor)) {
      const zone = zoneOf(a);
      if (a.id !== exceptId && zone !== undefined) zones.add(zone);
    }
    return [...zones];
  }

  /**
   * nova's is_safe_to_update_az, when `metadata` names a zone: the zone is not empty, no
   * host of `hosts` is in another aggregate with a different zone, and (checkServers) no
   * host holds servers that a zone change would move.
   */
  async #checkZone(
    executor: Executor,
    aggregate: AggregateRecord,
    metadata: Record<string, string | null>,
    action: AggregateAction,
    hosts: string[],
    checkServers: boolean,
  ): Promise<void> {
    if (!(AZ_KEY in metadata)) return;
    const zone = metadata[AZ_KEY];
    if (!zone) {
      throw new InvalidAggregateAction(
        action,
        aggregate.id,
        `Aggregate ${aggregate.name} does not support empty named availability zone`,
      );
    }
    const conflicting = (await this.#repo.holding(hosts, executor))
      .filter((a) => a.id !== aggregate.id && zoneOf(a) !== undefined && zoneOf(a) !== zone)
      .map((a) => zoneOf(a)!);
    if (conflicting.length > 0) {
      throw new InvalidAggregateAction(
        action,
        aggregate.id,
        `One or more hosts already in availability zone(s) ${pyList(conflicting)}`,
      );
    }
    if (
      checkServers &&
      zoneOf(aggregate) !== zone &&
      (await this.#repo.serversOn(hosts, executor)).length > 0
    ) {
      throw new InvalidAggregateAction(
        action,
        aggregate.id,
        "One or more hosts contain instances in this zone",
      );
    }
  }
}
