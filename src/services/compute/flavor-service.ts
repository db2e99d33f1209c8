import { randomUUID } from "node:crypto";
import type { Db } from "../../store/database.js";
import { FlavorRepository, type FlavorSortColumn } from "../../store/flavor-repository.js";
import type { FlavorRow } from "../../store/schema.js";
import type { AuthContext } from "../context.js";
import { Conflict, FlavorNotFound, InvalidInput, NotFound } from "../errors.js";

/** A flavor as servers and the API see it (nova column names; satisfies the compute service's FlavorInfo). */
export interface Flavor {
  flavorid: string;
  name: string;
  vcpus: number;
  memory_mb: number;
  root_gb: number;
  ephemeral_gb: number;
  swap: number;
  rxtx_factor: number;
  is_public: boolean;
  disabled: boolean;
  description: string | null;
  extraSpecs: Record<string, string>;
  created_at: string;
  updated_at: string | null;
}

/** What POST /flavors asks for, already parsed. */
export interface NewFlavor {
  name: string;
  /** Absent, null or "" (or 0): a UUID is generated. */
  flavorid?: string | null;
  vcpus: number;
  memory_mb: number;
  root_gb: number;
  ephemeral_gb?: number;
  swap?: number;
  rxtx_factor?: number;
  is_public?: boolean;
  description?: string | null;
}

/** nova's flavor sort keys; "id" (nova's row id) and "vcpu_weight" (unset here) sort by creation, then flavorid. */
export type FlavorSortKey = FlavorSortColumn | "id" | "vcpu_weight";

export interface FlavorListQuery {
  /** Admins only: true (default) public and shared-with-me, false private, null all. Others always see public + shared. */
  isPublic?: boolean | null;
  minMemoryMb?: number;
  minRootGb?: number;
  /** A regular expression on the name (2.102). */
  name?: string;
  sortKey?: FlavorSortKey;
  sortDir?: "asc" | "desc";
  limit: number;
  marker?: string;
}

/** nova's classic public flavors, plus the two small ones devstack adds. */
const DEFAULT_FLAVORS: Array<Pick<Flavor, "flavorid" | "name" | "vcpus" | "memory_mb" | "root_gb">> = [
  { flavorid: "1", name: "m1.tiny", vcpus: 1, memory_mb: 512, root_gb: 1 },
  { flavorid: "2", name: "m1.small", vcpus: 1, memory_mb: 2048, root_gb: 20 },
  { flavorid: "3", name: "m1.medium", vcpus: 2, memory_mb: 4096, root_gb: 40 },
  { flavorid: "4", name: "m1.large", vcpus: 4, memory_mb: 8192, root_gb: 80 },
  { flavorid: "5", name: "m1.xlarge", vcpus: 8, memory_mb: 16384, root_gb: 160 },
  { flavorid: "42", name: "m1.nano", vcpus: 1, memory_mb: 128, root_gb: 1 },
  { flavorid: "84", name: "m1.micro", vcpus: 1, memory_mb: 192, root_gb: 1 },
];

function toFlavor(row: FlavorRow, extraSpecs: Record<string, string>): Flavor {
  return {
    flavorid: row.flavorid,
    name: row.name,
    vcpus: Number(row.vcpus),
    memory_mb: Number(row.memory_mb),
    root_gb: Number(row.root_gb),
    ephemeral_gb: Number(row.ephemeral_gb),
    swap: Number(row.swap),
    rxtx_factor: Number(row.rxtx_factor),
    is_public: Boolean(row.is_public),
    disabled: Boolean(row.disabled),
    description: row.description,
    extraSpecs,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** The id in a flavorRef: a bare id or a URL whose last path segment is the id. */
export function flavorIdFromRef(ref: string): string {
  const path = ref.split(/[?#]/)[0] ?? "";
  return path.includes("/") ? (path.split("/").at(-1) ?? "") : path;
}

/**
 * Flavors: who sees which (private flavors only admins and the projects they are shared
 * with), their extra specs and access lists. Authorisation of who may change them is the
 * API's policy check; this service keeps the visibility rules.
 */
export class FlavorService {
  readonly #repo: FlavorRepository;

  constructor(db: Db, repo?: FlavorRepository) {
    this.#repo = repo ?? new FlavorRepository(db);
  }

  /**
   * The flavor a request names (`flavorRef` may be a full URL). Throws FlavorNotFound when
   * it does not exist or is a private flavor the caller's project has no access to.
   */
  async get(ctx: AuthContext, flavorRef: string): Promise<Flavor> {
    const flavorid = flavorIdFromRef(flavorRef);
    const row = await this.#repo.find(flavorid, ctx);
    if (!row) throw new FlavorNotFound(flavorid);
    const specs = await this.#repo.extraSpecs([row.flavorid]);
    return toFlavor(row, specs.get(row.flavorid) ?? {});
  }

  /** A page of the flavors the caller may see. Throws InvalidInput for an unknown marker. */
  async list(ctx: AuthContext, q: FlavorListQuery): Promise<Flavor[]> {
    const sortKey = q.sortKey ?? "flavorid";
    const rows = await this.#repo.list(ctx, {
      isPublic: ctx.isAdmin ? (q.isPublic === undefined ? true : q.isPublic) : true,
      enabledOnly: !ctx.isAdmin,
      minMemoryMb: q.minMemoryMb,
      minRootGb: q.minRootGb,
      nameRegex: q.name,
      sortColumn: sortKey === "id" || sortKey === "vcpu_weight" ? "created_at" : sortKey,
      sortDir: q.sortDir ?? "asc",
      limit: q.limit,
      marker: q.marker,
    });
    if (!rows) throw new InvalidInput(`marker [${q.marker}] not found`);
    const specs = await this.#repo.extraSpecs(rows.map((r) => r.flavorid));
    return rows.map((row) => toFlavor(row, specs.get(row.flavorid) ?? {}));
  }

  /** Creates a flavor; Conflict when its name or id is taken. */
  async create(spec: NewFlavor): Promise<Flavor> {
    const flavorid = spec.flavorid ? String(spec.flavorid) : randomUUID();
    const name = spec.name.trim();
    const now = new Date().toISOString();
    const result = await this.#repo.insert({
      flavorid,
      name,
      vcpus: spec.vcpus,
      memory_mb: spec.memory_mb,
      root_gb: spec.root_gb,
      ephemeral_gb: spec.ephemeral_gb ?? 0,
      swap: spec.swap ?? 0,
      rxtx_factor: spec.rxtx_factor ?? 1,
      is_public: spec.is_public === false ? 0 : 1,
      description: spec.description ?? null,
      created_at: now,
      updated_at: null,
    });
    if (!result.ok) {
      throw new Conflict(
        result.conflict === "flavorid"
          ? `Flavor with ID ${flavorid} already exists.`
          : `Flavor with name ${name} already exists.`,
      );
    }
    return this.#load(flavorid);
  }

  async updateDescription(ctx: AuthContext, flavorid: string, description: string | null): Promise<Flavor> {
    await this.get(ctx, flavorid);
    if (!(await this.#repo.updateDescription(flavorid, description, new Date().toISOString()))) {
      throw new FlavorNotFound(flavorid);
    }
    return this.get(ctx, flavorid);
  }

  async delete(flavorid: string): Promise<void> {
    if (!(await this.#repo.delete(flavorid))) throw new FlavorNotFound(flavorid);
  }

  /** Adds or replaces extra specs of a flavor the caller can see. */
  async setExtraSpecs(ctx: AuthContext, flavorid: string, specs: Record<string, string>): Promise<void> {
    await this.get(ctx, flavorid);
    await this.#repo.setExtraSpecs(flavorid, specs);
  }

  async deleteExtraSpec(ctx: AuthContext, flavorid: string, key: string): Promise<void> {
    await this.get(ctx, flavorid);
    if (!(await this.#repo.deleteExtraSpec(flavorid, key))) {
      throw new NotFound(`Flavor ${flavorid} has no extra specs with key ${key}.`);
    }
  }

  /** Projects a flavor is shared with. */
  async projects(ctx: AuthContext, flavorid: string): Promise<string[]> {
    await this.get(ctx, flavorid);
    return this.#repo.projects(flavorid);
  }

  /** Shares a flavor with a project; Conflict when it already is. Returns the access list. */
  async addAccess(ctx: AuthContext, flavorid: string, projectId: string): Promise<string[]> {
    await this.get(ctx, flavorid);
    if (!(await this.#repo.addProject(flavorid, projectId))) {
      throw new Conflict(
        `Flavor access already exists for flavor ${flavorid} and project ${projectId} combination.`,
      );
    }
    return this.#repo.projects(flavorid);
  }

  /** Stops sharing a flavor with a project; NotFound when it was not. Returns the access list. */
  async removeAccess(ctx: AuthContext, flavorid: string, projectId: string): Promise<string[]> {
    await this.get(ctx, flavorid);
    if (!(await this.#repo.removeProject(flavorid, projectId))) {
      throw new NotFound(`Flavor access not found for ${flavorid} / ${projectId} combination.`);
    }
    return this.#repo.projects(flavorid);
  }

  /**
   * Creates nova's default public flavors (m1.tiny ... m1.xlarge, m1.nano, m1.micro) that do
   * not exist yet (by id or name); safe to call on every start, but it does bring back a
   * default flavor an operator deleted. Returns how many were created.
   */
  async ensureDefaults(): Promise<number> {
    const now = new Date().toISOString();
    return this.#repo.insertMissing(
      DEFAULT_FLAVORS.map((f) => ({
        ...f,
        is_public: 1,
        description: null,
        created_at: now,
        updated_at: null,
      })),
    );
  }

  async #load(flavorid: string): Promise<Flavor> {
    const row = await this.#repo.find(flavorid, { isAdmin: true, projectId: null });
    if (!row) throw new FlavorNotFound(flavorid);
    const specs = await this.#repo.extraSpecs([flavorid]);
    return toFlavor(row, specs.get(flavorid) ?? {});
  }
}
