import type { Transaction } from "kysely";
import type { Db } from "../../store/database.js";
import type { Database } from "../../store/schema.js";
import type { AuthContext } from "../context.js";

/**
 * What the compute service needs from its neighbours (flavors, keypairs, images,
 * quotas), as narrow interfaces; the composition root hands in the real services.
 */
export interface FlavorInfo {
  flavorid: string;
  name: string;
  vcpus: number;
  memory_mb: number;
  root_gb: number;
  ephemeral_gb: number;
  swap: number;
  extraSpecs: Record<string, string>;
}

export interface ImageInfo {
  id: string;
  name: string | null;
  status: string;
  minDisk: number;
  minRam: number;
  properties: Record<string, unknown>;
}

export interface ComputePorts {
  flavors: {
    /** Throws FlavorNotFound when absent or not visible to the caller. */
    get(ctx: AuthContext, flavorRef: string): Promise<FlavorInfo>;
  };
  keypairs: {
    /** Undefined when the user has no keypair of that name. */
    find(userId: string, name: string): Promise<{ name: string; publicKey: string } | undefined>;
  };
  images: {
    /** Throws ImageNotFound when absent or not visible to the caller. */
    get(ctx: AuthContext, id: string): Promise<ImageInfo>;
    /** A queued image owned by the caller's project, to receive a server's snapshot. */
    createSnapshot(
      ctx: AuthContext,
      spec: { name: string; instanceUuid: string; properties: Record<string, string> },
    ): Promise<string>;
    uploadSnapshot(id: string, data: Buffer): Promise<void>;
    deleteSnapshot(id: string): Promise<void>;
  };
  quota: {
    /** Inside the transaction that changes the servers: throws QuotaExceeded when usage + delta is over a limit. */
    checkInstances(
      trx: Db | Transaction<Database>,
      projectId: string,
      delta: { instances: number; cores: number; ram: number },
    ): Promise<void>;
    checkMetadataItems(projectId: string, count: number): Promise<void>;
  };
}
