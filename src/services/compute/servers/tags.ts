import type { AuthContext } from "../../context.js";
import { InstanceInvalidState, InvalidInput } from "../../errors.js";
import { VmState } from "../vm-states.js";
import type { ServerOperations } from "./operations.js";

const MAX_TAGS = 50;
/** Tags change only in these states (nova's server-tags controller check). */
const TAGGABLE = new Set<string>([VmState.ACTIVE, VmState.PAUSED, VmState.SUSPENDED, VmState.STOPPED]);

/** A server's tags (2.26+). */
export class ServerTags {
  constructor(private readonly ops: ServerOperations) {}

  /**
   * Replaces a server's tags (nova allows at most 50; tag syntax is checked by the API schema).
   * `label` names the operation in nova's 409 ("update tags", "update tag", "delete tag", "delete tags").
   */
  async set(ctx: AuthContext, uuid: string, tags: string[], label = "update tags"): Promise<string[]> {
    const instance = await this.ops.get(ctx, uuid);
    if (!TAGGABLE.has(instance.vmState)) {
      throw new InstanceInvalidState(uuid, label, "vm_state", instance.vmState);
    }
    const unique = [...new Set(tags)];
    if (unique.length > MAX_TAGS) {
      throw new InvalidInput(`The number of tags exceeded the per-server limit ${MAX_TAGS}`);
    }
    await this.ops.db.transaction().execute(async (trx) => {
      await this.ops.instances.replaceTags(trx, uuid, unique);
      await this.ops.instances.update(trx, uuid, {});
    });
    return unique.sort();
  }
}
