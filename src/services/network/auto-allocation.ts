import type { AutoAllocationRepository } from "../../store/auto-allocation-repository.js";
import type { NeutronRepository } from "../../store/neutron-repository.js";
import type { AutoAllocatedTopologyRow } from "../../store/schema.js";
import type { AuthContext } from "../context.js";
import { InvalidInput, NotFound } from "../errors.js";
import { AutoAllocationFailure, NotAuthorized } from "./errors.js";
import { formatCidr, parseCidr } from "./ip.js";
import { BadRequest } from "./l3-errors.js";
import type { Networks } from "./networks.js";
import type { Routers } from "./routers.js";
import type { Subnets } from "./subnets.js";

/**
 * Where auto-allocated subnets come from. Neutron takes them from the default subnet pool;
 * nimbus has no subnet pools, so it hands each project a /24 of 10.128.0.0/9 that no other
 * project's auto-allocated subnet has (32768 of them), as a pool's allocations never overlap.
 */
const RANGE = parseCidr("10.128.0.0/9")!;
const SUBNET_PREFIX = 24;

/** What `GET /v2.0/auto-allocated-topology/{project_id}` answers. */
export interface AutoAllocatedTopology {
  id: string;
  project_id: string;
  tenant_id: string;
}

/** The answer of a dry run whose requirements are met. */
const DRY_RUN_PASSED = "dry-run=pass";

/**
 * Neutron's auto-allocated-topology: on a project's first request, a private network and
 * subnet joined by a router to the default external network, made as the caller. The
 * project's row is claimed first, so concurrent first calls build at most one topology
 * each and keep the one recorded first (the others take theirs down again), as Neutron's
 * duplicate-entry handling does.
 */
export class AutoAllocation {
  constructor(
    readonly repo: AutoAllocationRepository,
    readonly neutron: NeutronRepository,
    readonly networks: Networks,
    readonly subnets: Subnets,
    readonly routers: Routers,
  ) {}

  /** The project a request names ("None" is the caller's), if the caller may act for it. */
  #projectOf(caller: AuthContext, requested: string): string {
    const projectId = requested === "None" ? (caller.projectId ?? "") : requested;
    if (!caller.isAdmin && projectId !== caller.projectId) throw new NotAuthorized();
    return projectId;
  }

  /**
   * The project's topology, built now if it has none. `fields` may only be ["dry-run"],
   * which checks the requirements and builds nothing.
   */
  async show(
    caller: AuthContext,
    requested: string,
    fields: readonly string[],
  ): Promise<AutoAllocatedTopology> {
    const projectId = this.#projectOf(caller, requested);
    const answer = (id: string) => ({ id, project_id: projectId, tenant_id: projectId });
    if (fields.includes("dry-run")) {
      await this.#defaultExternalNetwork();
      return answer(DRY_RUN_PASSED);
    }
    if (fields.length > 0) throw new BadRequest("auto_allocate", "Unrecognized field");
    return answer(await this.#ensureFor(caller, projectId));
  }

  /** For Nova's `networks: auto`: the id of the caller's project's network, built on first use. */
  ensure(caller: AuthContext): Promise<string> {
    return this.#ensureFor(caller, caller.projectId ?? "");
  }

  /** Takes the project's topology down (NetworkInUse while servers still have ports on it). */
  async delete(caller: AuthContext, requested: string): Promise<void> {
    const projectId = this.#projectOf(caller, requested);
    const row = await this.repo.find(projectId);
    if (!row) return;
    if (row.network_id) await this.#takeDown(caller, row.network_id, row.router_id);
    await this.repo.release(projectId);
  }

  /**
   * Neutron's choice is the external network marked is_default; nimbus has no such mark,
   * so it is the cloud's only external network. None, or several, leave no default.
   */
  async #defaultExternalNetwork(): Promise<string> {
    const external = (await this.neutron.listNetworks(undefined)).filter((n) => n.external === 1);
    if (external.length !== 1) throw new AutoAllocationFailure("No default router:external network");
    return external[0]!.id;
  }

  async #ensureFor(caller: AuthContext, projectId: string): Promise<string> {
    const existing = await this.repo.find(projectId);
    if (existing?.network_id) return existing.network_id;
    const externalId = await this.#defaultExternalNetwork();
    const claim = await this.#claim(projectId);
    if (claim.network_id) return claim.network_id;
    const built = await this.#build(caller, projectId, claim.cidr, externalId);
    if (await this.repo.complete(projectId, built.networkId, built.routerId)) return built.networkId;
    // a concurrent first call recorded its topology first: this one goes
    await this.#takeDown(caller, built.networkId, built.routerId);
    const winner = await this.repo.find(projectId);
    if (!winner?.network_id) throw new AutoAllocationFailure("Unable to provide project private network");
    return winner.network_id;
  }

  /** The project's row, claimed now with a free range if it has none. */
  async #claim(projectId: string): Promise<AutoAllocatedTopologyRow> {
    return this.repo.transaction(async (trx) => {
      await this.repo.lockRanges(trx);
      const row = await this.repo.find(projectId, trx);
      if (row) return row;
      const taken = await this.repo.claimedRanges(trx);
      const size = 1n << BigInt(32 - SUBNET_PREFIX);
      const count = 1n << BigInt(SUBNET_PREFIX - RANGE.prefix);
      for (let i = 0n; i < count; i++) {
        const cidr = formatCidr({ version: 4, network: RANGE.network + i * size, prefix: SUBNET_PREFIX });
        if (taken.has(cidr)) continue;
        await this.repo.claim(trx, projectId, cidr);
        return { project_id: projectId, cidr, network_id: null, router_id: null };
      }
      throw new AutoAllocationFailure("Unable to provide project private network");
    });
  }

  /**
   * Neutron's _provision_project_private_network and _provision_external_connectivity: the
   * network starts down and comes up once the router joins it. A refusal on the way
   * (a bad request, a missing resource) takes down what was made and is a deployment error.
   */
  async #build(
    caller: AuthContext,
    projectId: string,
    cidr: string,
    externalId: string,
  ): Promise<{ networkId: string; routerId: string }> {
    const refused = (error: unknown) => error instanceof InvalidInput || error instanceof NotFound;
    const network = await this.networks.create(caller, {
      name: "auto_allocated_network",
      admin_state_up: false,
      project_id: projectId,
    });
    let subnetId: string;
    try {
      subnetId = (
        await this.subnets.create(caller, {
          network_id: network.id,
          project_id: projectId,
          name: "auto_allocated_subnet_v4",
          ip_version: 4,
          cidr,
        })
      ).id;
    } catch (error) {
      await this.#takeDown(caller, network.id, null);
      throw refused(error) ? new AutoAllocationFailure("Unable to provide project private network") : error;
    }
    let routerId: string | null = null;
    try {
      routerId = (
        await this.routers.create(caller, {
          name: "auto_allocated_router",
          admin_state_up: true,
          project_id: projectId,
          external_gateway_info: { network_id: externalId },
        })
      ).id;
      await this.routers.addInterface(caller, routerId, { subnet_id: subnetId });
      await this.networks.update(caller, network.id, { admin_state_up: true });
    } catch (error) {
      await this.#takeDown(caller, network.id, routerId);
      throw refused(error) ? new AutoAllocationFailure("Unable to provide external connectivity") : error;
    }
    return { networkId: network.id, routerId };
  }

  /** Neutron's _cleanup: the router's interfaces, the router, then the network; what is gone already is fine. */
  async #takeDown(caller: AuthContext, networkId: string, routerId: string | null): Promise<void> {
    const gone = (error: unknown) => {
      if (!(error instanceof NotFound)) throw error;
    };
    if (routerId) {
      for (const subnet of await this.neutron.subnetsOf([networkId]))
        await this.routers.removeInterface(caller, routerId, { subnet_id: subnet.id }).catch(gone);
      await this.routers.delete(caller, routerId).catch(gone);
    }
    await this.networks.delete(caller, networkId).catch(gone);
  }
}
