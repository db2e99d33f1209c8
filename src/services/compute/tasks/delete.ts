import type { Db } from "../../../store/database.js";
import type { InstanceRepository } from "../../../store/instance-repository.js";
import type { TaskHandler } from "../../../tasks/engine.js";
import { PowerState } from "../../../virt/power-state.js";
import type { InstanceNetworking } from "../../network/instance-networking.js";
import type { Placement } from "../placement.js";
import type { ComputePorts } from "../ports.js";
import { VmState } from "../vm-states.js";
import type { TaskSupport } from "./support.js";

/** What a delete releases and records, on a host or (for a server on none) in the API. */
export interface DeleteParts {
  db: Db;
  instances: InstanceRepository;
  network: InstanceNetworking;
  images: Pick<ComputePorts["images"], "deleteSnapshot">;
  placement: Pick<Placement, "release">;
}

/**
 * The end of a server, its guest gone: its addresses and its claims on its host freed, a shelved server's snapshot
 * deleted with it (as nova does), the record marked deleted. False when it already was.
 */
export async function releaseAndMarkDeleted(parts: DeleteParts, uuid: string): Promise<boolean> {
  await parts.network.release(uuid);
  await parts.placement.release(uuid);
  const shelvedImage = (await parts.instances.row(parts.db, uuid))?.shelved_image_id;
  if (shelvedImage) await parts.images.deleteSnapshot(shelvedImage);
  const now = new Date().toISOString();
  return parts.instances.update(
    parts.db,
    uuid,
    {
      vm_state: VmState.DELETED,
      task_state: null,
      power_state: PowerState.NOSTATE,
      deleted: 1,
      deleted_at: now,
      terminated_at: now,
    },
    { notDeleted: true },
  );
}

/** Delete: destroy the guest (if it reached a host), free its addresses, mark the server deleted. */
export function deleteTask(s: TaskSupport): TaskHandler {
  return {
    kind: "delete",
    steps: [
      async (ctx) => {
        const instance = await s.instance(ctx);
        const driver = instance.host ? s.drivers.get(instance.host) : undefined;
        await s.event(ctx, "compute_terminate_instance", instance.host ?? "", async () => {
          if (driver) await driver.destroy(instance.uuid);
          await releaseAndMarkDeleted(s, instance.uuid);
        });
        await s.finishAction(ctx);
      },
    ],
    async onFailure(ctx, error) {
      await s.fail(ctx, error);
    },
  };
}
