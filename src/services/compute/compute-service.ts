import type { Db } from "../../store/database.js";
import type { InstanceActionRepository } from "../../store/instance-action-repository.js";
import type { Instance } from "../../store/instance-record.js";
import type { InstanceRepository } from "../../store/instance-repository.js";
import type { TaskEngine } from "../../tasks/engine.js";
import type { DriverRegistry } from "../../virt/registry.js";
import type { AuthContext } from "../context.js";
import type { InstanceNetworking } from "../network/instance-networking.js";
import type { MigrationRecords } from "./migration-records.js";
import type { Placement } from "./placement.js";
import type { ComputePorts } from "./ports.js";
import { ServerAccess } from "./servers/access.js";
import { ServerDeletion } from "./servers/deletion.js";
import { HostEvents } from "./servers/host-events.js";
import { ServerImages } from "./servers/images.js";
import { ServerInterfaces } from "./servers/interfaces.js";
import { ServerLifecycle } from "./servers/lifecycle.js";
import { ServerMetadata } from "./servers/metadata.js";
import { ServerMoves } from "./servers/moves.js";
import { ServerOperations } from "./servers/operations.js";
import { ServerPower } from "./servers/power.js";
import { ServerTags } from "./servers/tags.js";

export interface ComputeOptions {
  /** nova's `reclaim_instance_interval`: above 0, DELETE soft-deletes (see servers/deletion.ts). */
  reclaimInstanceIntervalSeconds?: number;
  /** nova's `allow_resize_to_same_host`: whether a resize may stay on the server's own host. */
  allowResizeToSameHost?: boolean;
  /** nova's `resize_confirm_window`: above 0, waiting resizes are confirmed after it (see servers/moves.ts). */
  resizeConfirmWindowSeconds?: number;
}

/**
 * Every API operation on servers, grouped by concern (one module each under servers/).
 * Operations that change a server check nova's state rules, set the task_state, record
 * the instance action and enqueue the task in one transaction; the task engine does the rest.
 */
export class ComputeService {
  readonly instances: InstanceRepository;
  readonly actions: InstanceActionRepository;
  readonly migrations: MigrationRecords;
  readonly placement: Placement;
  readonly lifecycle: ServerLifecycle;
  readonly deletion: ServerDeletion;
  readonly power: ServerPower;
  readonly images: ServerImages;
  readonly moves: ServerMoves;
  readonly access: ServerAccess;
  readonly interfaces: ServerInterfaces;
  readonly metadata: ServerMetadata;
  readonly tags: ServerTags;
  readonly events: HostEvents;
  readonly #ops: ServerOperations;

  constructor(
    db: Db,
    engine: TaskEngine,
    ports: ComputePorts,
    network: InstanceNetworking,
    drivers: DriverRegistry,
    placement: Placement,
    options: ComputeOptions = {},
  ) {
    const ops = new ServerOperations(db, engine, ports, network, drivers, placement);
    this.#ops = ops;
    this.instances = ops.instances;
    this.actions = ops.actions;
    this.migrations = ops.migrations;
    this.placement = placement;
    this.lifecycle = new ServerLifecycle(ops);
    this.deletion = new ServerDeletion(ops, options.reclaimInstanceIntervalSeconds ?? 0);
    this.power = new ServerPower(ops);
    this.images = new ServerImages(ops);
    this.moves = new ServerMoves(ops, {
      allowResizeToSameHost: options.allowResizeToSameHost ?? true,
      resizeConfirmWindowSeconds: options.resizeConfirmWindowSeconds ?? 0,
    });
    this.access = new ServerAccess(ops);
    this.interfaces = new ServerInterfaces(ops);
    this.metadata = new ServerMetadata(ops);
    this.tags = new ServerTags(ops);
    this.events = new HostEvents(ops);
  }

  /** A server the caller may see (what most routes start from); deleted ones only when asked for. */
  get(ctx: AuthContext, uuid: string, options: { allowDeleted?: boolean } = {}): Promise<Instance> {
    return this.#ops.get(ctx, uuid, options);
  }
}
