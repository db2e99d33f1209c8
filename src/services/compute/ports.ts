import type { Transaction } from "kysely";
import type { Db } from "../../store/database.js";
import type { Database } from "../../store/schema.js";
import type { AuthContext } from "../context.js";
import type { ServerGroupService } from "./server-group-service.js";

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
    /** A page of the images `ctx` sees whose properties hold these values (backup rotation). */
    list(
      ctx: AuthContext,
      query: {
        properties: Record<string, string>;
        sortKeys: Array<"created_at">;
        sortDirs: Array<"asc" | "desc">;
        marker?: string;
        limit?: number;
      },
    ): Promise<{ images: ImageInfo[]; nextMarker?: string }>;
    /** Deletes as `ctx` may (a protected image is refused). */
    delete(ctx: AuthContext, id: string): Promise<void>;
  };
  quota: {
    /**
     * Inside the transaction that changes the servers: throws QuotaExceeded when usage +
     * delta is over a limit of the project, or of the user who owns the servers.
     */
    checkInstances(
      trx: Db | Transaction<Database>,
      projectId: string,
      delta: { instances: number; cores: number; ram: number },
      userId: string,
    ): Promise<void>;
    /** `userId` is the caller's: nova checks metadata_items for the requesting user. */
    checkMetadataItems(projectId: string, count: number, userId: string): Promise<void>;
  };
  hosts: {
    /** nova's host_status of each host (UP, DOWN, MAINTENANCE, UNKNOWN or ""). */
    statuses(hosts: readonly string[]): Promise<Map<string, string>>;
    /** Whether the host's nova-compute service is up (nova's service_is_up); false with none. */
    computeUp(host: string): Promise<boolean>;
  };
  zones: {
    /** The availability zone of each host: its aggregate's, else the default zone. */
    of(hosts: readonly string[]): Promise<Map<string, string>>;
  };
  /** The group a create's `group` scheduler hint names: its members quota, policy and membership. */
  serverGroups: Pick<ServerGroupService, "hintedGroup" | "place" | "addMembers">;
}
