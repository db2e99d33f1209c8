import { setTimeout as sleep } from "node:timers/promises";
import type { AuthContext } from "../../context.js";
import { InvalidInput } from "../../errors.js";
import type { ServerOperations } from "./operations.js";

/** How long the API waits for the conductor (nova's rpc_response_timeout). */
const CONDUCTOR_TIMEOUT_MS = 60_000;
const POLL_MS = 20;

/**
 * Waits for the conductor's event `event` of the action the request `ctx` started on the
 * server, as nova's API waits on its RPC call to the conductor (os-migrateLive before
 * 2.34): a refusal is the answer (400 with its message); past its checks, or after the
 * timeout, the request is answered as accepted and the task goes on.
 */
export async function awaitConductor(
  ops: ServerOperations,
  ctx: AuthContext,
  uuid: string,
  event: string,
): Promise<void> {
  const deadline = Date.now() + CONDUCTOR_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const action = await ops.actions.byRequestId(uuid, ctx.requestId);
    const done = action
      ? (await ops.actions.events(action.id)).find((e) => e.event === event && e.finish_time !== null)
      : undefined;
    if (done?.result === "Success") return;
    if (done) throw new InvalidInput(done.details ?? "The conductor refused the request.");
    await sleep(POLL_MS);
  }
}
