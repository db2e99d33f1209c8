import { randomBytes } from "node:crypto";
import type { Db } from "../../store/database.js";
import type { InstanceAddress } from "../compute/instance.js";
import { InvalidInput } from "../errors.js";

/** The built-in private network every server may join: the `private` network of a devstack. */
export const PRIVATE_NETWORK = {
  id: "2a4f5f4b-6f1c-4bd6-9d7e-6a9f0c1e2b3d",
  name: "private",
  cidr: "10.0.0.0/16",
  gateway: "10.0.0.1",
} as const;

/** What a server create asked for: nova's `networks` ("auto", "none" or a list). */
export type RequestedNetworks =
  | "auto"
  | "none"
  | Array<{ uuid?: string; fixed_ip?: string; port?: string; tag?: string }>;

/** One address to allocate: on the private network, optionally a chosen one. */
export interface NetworkRequest {
  fixedIp?: string;
}

const FIRST_HOST = ipToInt("10.0.0.2");
const LAST_HOST = ipToInt("10.0.255.254");

function ipToInt(ip: string): number {
  return ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

function newMac(): string {
  const b = randomBytes(3);
  return `fa:16:3e:${[...b].map((x) => x.toString(16).padStart(2, "0")).join(":")}`;
}

/**
 * Address allocation on the built-in network. The database's primary key on the address
 * is what guarantees uniqueness (a lost race retries); the in-memory set of used
 * addresses only spares a scan per allocation.
 */
export class NetworkService {
  #used: Set<number> | undefined;
  #cursor = FIRST_HOST;

  constructor(private readonly db: Db) {}

  /** Checks a create request's networks; returns one request per address to allocate. */
  resolve(requested: RequestedNetworks): NetworkRequest[] {
    if (requested === "none") return [];
    if (requested === "auto") return [{}];
    return requested.map((entry) => {
      if (entry.port !== undefined) {
        throw new InvalidInput(`Port ${entry.port} could not be found.`);
      }
      if (
        entry.uuid !== undefined &&
        entry.uuid !== PRIVATE_NETWORK.id &&
        entry.uuid !== PRIVATE_NETWORK.name
      ) {
        throw new InvalidInput(`Network ${entry.uuid} could not be found.`);
      }
      if (entry.fixed_ip !== undefined) {
        const n = ipToInt(entry.fixed_ip);
        if (entry.fixed_ip.includes(":") || n < FIRST_HOST || n > LAST_HOST) {
          throw new InvalidInput(
            `Fixed IP address ${entry.fixed_ip} is not valid on network ${PRIVATE_NETWORK.id}.`,
          );
        }
        return { fixedIp: entry.fixed_ip };
      }
      return {};
    });
  }

  async #usedSet(): Promise<Set<number>> {
    if (!this.#used) {
      const rows = await this.db.selectFrom("fixed_ips").select("address").execute();
      this.#used = new Set(rows.map((r) => ipToInt(r.address)));
    }
    return this.#used;
  }

  async #tryInsert(address: number, instanceUuid: string, mac: string): Promise<boolean> {
    const result = await this.db
      .insertInto("fixed_ips")
      .values({
        address: intToIp(address),
        network: PRIVATE_NETWORK.name,
        instance_uuid: instanceUuid,
        mac_address: mac,
        updated_at: new Date().toISOString(),
      })
      .onConflict((oc) => oc.column("address").doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  /** Allocates the requested addresses for a server (idempotent: a server that has addresses keeps them). */
  async allocate(instanceUuid: string, requests: NetworkRequest[]): Promise<InstanceAddress[]> {
    const existing = await this.db
      .selectFrom("fixed_ips")
      .selectAll()
      .where("instance_uuid", "=", instanceUuid)
      .execute();
    if (existing.length > 0 || requests.length === 0) {
      return existing.map((r) => ({
        network: r.network,
        address: r.address,
        mac: r.mac_address ?? "",
        version: 4,
      }));
    }
    const used = await this.#usedSet();
    const out: InstanceAddress[] = [];
    for (const request of requests) {
      const mac = newMac();
      let chosen: number | undefined;
      if (request.fixedIp !== undefined) {
        const wanted = ipToInt(request.fixedIp);
        if (!(await this.#tryInsert(wanted, instanceUuid, mac))) {
          throw new InvalidInput(`Fixed IP address ${request.fixedIp} is already in use on instance.`);
        }
        chosen = wanted;
      } else {
        for (let tries = 0; tries <= LAST_HOST - FIRST_HOST && chosen === undefined; tries++) {
          const candidate = this.#cursor;
          this.#cursor = candidate >= LAST_HOST ? FIRST_HOST : candidate + 1;
          if (used.has(candidate)) continue;
          if (await this.#tryInsert(candidate, instanceUuid, mac)) chosen = candidate;
          else used.add(candidate);
        }
        if (chosen === undefined)
          throw new InvalidInput(`No more IP addresses available on network ${PRIVATE_NETWORK.id}.`);
      }
      used.add(chosen);
      out.push({ network: PRIVATE_NETWORK.name, address: intToIp(chosen), mac, version: 4 });
    }
    return out;
  }

  async release(instanceUuid: string): Promise<void> {
    const rows = await this.db
      .selectFrom("fixed_ips")
      .select("address")
      .where("instance_uuid", "=", instanceUuid)
      .execute();
    await this.db.deleteFrom("fixed_ips").where("instance_uuid", "=", instanceUuid).execute();
    for (const r of rows) this.#used?.delete(ipToInt(r.address));
  }
}
