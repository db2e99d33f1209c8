import type { AuthContext } from "../../context.js";
import type { Interface, InterfaceRequest } from "../../network/instance-networking.js";
import type { ServerOperations } from "./operations.js";

/** A server's network interfaces (os-interface): list, show, attach, detach. */
export class ServerInterfaces {
  constructor(private readonly ops: ServerOperations) {}

  async list(ctx: AuthContext, uuid: string): Promise<Interface[]> {
    await this.ops.get(ctx, uuid);
    return this.ops.network.interfaces(ctx, uuid);
  }

  async get(ctx: AuthContext, uuid: string, portId: string): Promise<Interface> {
    await this.ops.get(ctx, uuid);
    return this.ops.network.interface(ctx, uuid, portId);
  }

  /** Attaches a NIC and waits for it, as nova's API waits for the compute's answer. */
  async attach(ctx: AuthContext, uuid: string, request: InterfaceRequest): Promise<Interface> {
    const instance = await this.ops.get(ctx, uuid);
    await this.ops.guard(ctx, uuid, "interface", "attach_interface");
    const portId = await this.ops.network.attach(
      ctx,
      { instanceUuid: uuid, zone: instance.availabilityZone, host: instance.host },
      request,
    );
    await this.ops.db
      .transaction()
      .execute((trx) =>
        this.ops.recordInstant(trx, ctx, instance, "attach_interface", "compute_attach_interface"),
      );
    return this.ops.network.interface(ctx, uuid, portId);
  }

  async detach(ctx: AuthContext, uuid: string, portId: string): Promise<void> {
    const instance = await this.ops.get(ctx, uuid);
    await this.ops.guard(ctx, uuid, "interface", "detach_interface");
    await this.ops.network.interface(ctx, uuid, portId);
    await this.ops.network.detach(uuid, portId);
    await this.ops.db
      .transaction()
      .execute((trx) =>
        this.ops.recordInstant(trx, ctx, instance, "detach_interface", "compute_detach_interface"),
      );
  }
}
