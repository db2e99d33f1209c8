import type { AuthContext } from "../../context.js";
import { NotFound } from "../../errors.js";
import type { ServerOperations } from "./operations.js";

/** A server's metadata items, held to the metadata_items quota. */
export class ServerMetadata {
  constructor(private readonly ops: ServerOperations) {}

  async set(ctx: AuthContext, uuid: string, metadata: Record<string, string>, replace: boolean) {
    const instance = await this.ops.get(ctx, uuid);
    await this.ops.guard(ctx, uuid, "metadata", "update metadata");
    // the quota is checked against the metadata as read here; the merge itself re-reads it
    // under the server's lock, so concurrent merges keep each other's keys
    const expected = replace ? metadata : { ...instance.metadata, ...metadata };
    await this.ops.ports.quota.checkMetadataItems(
      instance.projectId,
      Object.keys(expected).length,
      ctx.userId,
    );
    return this.ops.db.transaction().execute(async (trx) => {
      let merged = metadata;
      if (replace) await this.ops.instances.replaceMetadata(trx, uuid, metadata);
      else merged = await this.ops.instances.mergeMetadata(trx, uuid, metadata);
      await this.ops.instances.update(trx, uuid, {});
      return merged;
    });
  }

  async deleteItem(ctx: AuthContext, uuid: string, key: string): Promise<void> {
    const instance = await this.ops.get(ctx, uuid);
    // nova answers a missing key before it looks at the server's state
    if (!(key in instance.metadata)) throw new NotFound(`Metadata item was not found`);
    await this.ops.guard(ctx, uuid, "metadata", "delete metadata");
    await this.ops.db.transaction().execute(async (trx) => {
      if (!(await this.ops.instances.deleteMetadataItem(trx, uuid, key))) {
        throw new NotFound(`Metadata item was not found`);
      }
      await this.ops.instances.update(trx, uuid, {});
    });
  }
}
