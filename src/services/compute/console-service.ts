import { createHash, randomUUID } from "node:crypto";
import type { Db } from "../../store/database.js";
import type { Instance } from "../../store/instance-record.js";
import type { ConsoleProtocol, ConsoleSink, SerialSession } from "../../virt/driver.js";
import type { DriverRegistry } from "../../virt/registry.js";
import { Conflict, InstanceInvalidState, InvalidInput, NotFound } from "../errors.js";
import { VmState } from "./vm-states.js";

/** nova's ConsoleTypeUnavailable: the host does not offer the console (400 at the API). */
export class ConsoleTypeUnavailable extends InvalidInput {
  constructor(readonly consoleType: string) {
    super(`Unavailable console type ${consoleType}.`);
  }
}

/** nova's ConsoleTypeInvalid: a console type the protocol has no such thing as (400). */
export class ConsoleTypeInvalid extends InvalidInput {
  constructor(readonly consoleType: string) {
    super(`Invalid console type ${consoleType}`);
  }
}

/** The console types each protocol's compute manager accepts. */
const TYPES: Record<ConsoleProtocol, readonly string[]> = {
  vnc: ["novnc", "xvpvnc"],
  spice: ["spice-html5", "spice-direct"],
  serial: ["serial"],
  mks: ["webmks"],
};

/** nova's reject_instance_state on the get_*_console calls. */
const REJECTED_TASKS = ["deleting", "migrating"];

/** What a token opens, as os-console-auth-tokens shows it. */
export interface ConsoleConnectInfo {
  instanceUuid: string;
  consoleType: string;
  host: string;
  port: number;
  internalAccessPath: string | null;
}

export interface ConsoleServiceOptions {
  /** The base URL clients reach nimbus at (the catalog's); console URLs are its websocket form. */
  publicUrl: string;
  /** nova's `[consoleauth] token_ttl`. */
  ttlSeconds: number;
}

/** Where nimbus serves serial consoles, like nova's serial proxy at its base_url. */
export const SERIAL_CONSOLE_PATH = "/serial-console/";

/** The port nova's serial console listens on for a guest's first port (serial_console.port_range start). */
const SERIAL_PORT = 10000;

function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/**
 * Remote consoles (nova's compute API get_*_console and ConsoleAuthToken): a server's
 * console for a protocol its host offers, behind a token that expires after the TTL.
 */
export class ConsoleService {
  constructor(
    readonly db: Db,
    readonly drivers: DriverRegistry,
    readonly options: ConsoleServiceOptions,
  ) {}

  /**
   * A console URL for the server (found, with the caller's visibility, by the API);
   * nova's answers for a host without the protocol.
   */
  async create(instance: Instance, protocol: ConsoleProtocol, consoleType: string): Promise<string> {
    const uuid = instance.uuid;
    const driver = instance.host ? this.drivers.get(instance.host) : undefined;
    // nova's check_instance_host: a server on no host (still building) has no console yet
    if (!driver || instance.vmState === VmState.BUILDING) throw new Conflict(`Instance ${uuid} is not ready`);
    if (instance.taskState !== null && REJECTED_TASKS.includes(instance.taskState))
      throw new InstanceInvalidState(uuid, `get_${protocol}_console`, "task_state", instance.taskState);
    // the compute manager asks whether the console is enabled before it looks at the type
    if (!driver.consoleProtocols.includes(protocol)) throw new ConsoleTypeUnavailable(consoleType);
    if (!TYPES[protocol].includes(consoleType)) throw new ConsoleTypeInvalid(consoleType);

    const token = randomUUID();
    const now = new Date();
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom("console_auth_tokens").where("expires_at", "<=", now.toISOString()).execute();
      await trx
        .insertInto("console_auth_tokens")
        .values({
          token_hash: hashToken(token),
          instance_uuid: instance.uuid,
          console_type: consoleType,
          host: "127.0.0.1",
          port: SERIAL_PORT,
          internal_access_path: null,
          expires_at: new Date(now.getTime() + this.options.ttlSeconds * 1000).toISOString(),
          created_at: now.toISOString(),
        })
        .execute();
    });
    const base = this.options.publicUrl.replace(/^http/, "ws").replace(/\/+$/, "");
    return `${base}${SERIAL_CONSOLE_PATH}?token=${token}`;
  }

  /** What a live token opens; NotFound for one unknown or expired (nova's validate). */
  async validate(token: string): Promise<ConsoleConnectInfo> {
    const row = await this.db
      .selectFrom("console_auth_tokens")
      .selectAll()
      .where("token_hash", "=", hashToken(token))
      .executeTakeFirst();
    if (!row || row.expires_at <= new Date().toISOString()) throw new NotFound("Token not found");
    return {
      instanceUuid: row.instance_uuid,
      consoleType: row.console_type,
      host: row.host,
      port: row.port,
      internalAccessPath: row.internal_access_path,
    };
  }

  /**
   * Attaches `sink` to the serial console a live token opens, on the host of the token's
   * server; NotFound for a bad or expired token or a server gone from its host.
   */
  async attachSerial(token: string, sink: ConsoleSink): Promise<SerialSession> {
    const info = await this.validate(token);
    if (info.consoleType !== "serial") throw new NotFound("Token not found");
    const row = await this.db
      .selectFrom("instances")
      .select("host")
      .where("uuid", "=", info.instanceUuid)
      .where("deleted", "=", 0)
      .executeTakeFirst();
    const driver = row?.host ? this.drivers.get(row.host) : undefined;
    if (!driver) throw new NotFound("Token not found");
    try {
      return driver.openSerialConsole(info.instanceUuid, sink);
    } catch {
      throw new NotFound("Token not found");
    }
  }
}
