import type { BodySpec, Call, Step } from "./harness.js";

/**
 * Setup steps shared by many rows of the samples table. Each is plain data: the
 * requests nova's own sample tests make before the one that produced a sample.
 */

export const drain: Step = { drain: true };

/** The servers area's create request nearest at or below the row's microversion. */
export const CREATE_REQ: BodySpec = { sample: "servers:server-create-req.json" };

/** An ACTIVE server of the row's caller, its id saved as `server_id` (or `save`). */
export function server(body: BodySpec = CREATE_REQ, save = "server_id"): Step[] {
  return [{ method: "POST", path: "/servers", body, save: { [save]: "body:server.id" } }, drain];
}

/**
 * A server group of the row's caller from the create request sample of the row's area
 * (nearest at or below its microversion), its id saved as `group_id`.
 */
export const serverGroup: Step = {
  method: "POST",
  path: "/os-server-groups",
  status: 200,
  body: { sample: "server-groups-post-req.json" },
  save: { group_id: "body:server_group.id" },
};

/** A server in ERROR: the fake driver fails to spawn servers whose name holds `nimbus-fake-fail`. */
export const errorServer: Step[] = server({
  sample: "servers:server-create-req.json",
  set: { "server.name": "new-server-test-nimbus-fake-fail" },
});

/** A server action by its request sample (validated against the row's microversion). */
export function action(sample: string, extra: Partial<Call> = {}): Call {
  return { method: "POST", path: "/servers/{server_id}/action", body: { sample }, ...extra };
}

/** The keypair `new-key` of nova's rebuild samples (2.54+), owned by the row's caller. */
export const newKey: Step = {
  method: "POST",
  path: "/os-keypairs",
  version: "2.2",
  status: 201,
  body: { json: { keypair: { name: "new-key" } } },
};

/** A server locked with nova's sample reason (2.73). */
export const lockedServer: Step[] = [
  ...server(),
  action("servers/v2.73/lock-server-with-reason.json", { version: "2.73" }),
];

/**
 * A server that was created and then stopped, as in nova's instance-action samples:
 * `stop_request_id` and `create_request_id` name its two actions; `before_stop` and
 * `after_stop` are moments around the stop.
 */
export const stoppedServer: Step[] = [
  ...server(),
  { mark: "before_stop" },
  action("servers/server-action-stop.json", { version: "2.1" }),
  drain,
  { mark: "after_stop" },
  {
    method: "GET",
    path: "/servers/{server_id}/os-instance-actions",
    version: "2.1",
    save: {
      stop_request_id: "body:instanceActions[0].request_id",
      create_request_id: "body:instanceActions[1].request_id",
    },
  },
];

/** An admin-made flavor from a flavor-manage create sample, its id saved as `flavor_id`. */
export function flavor(sample: string, version = "2.1"): Step {
  return {
    method: "POST",
    path: "/flavors",
    as: "admin",
    version,
    status: 200,
    body: { sample },
    save: { flavor_id: "body:flavor.id" },
  };
}

/** nova's sample extra specs on `flavor_id`. */
export const flavorExtraSpecs: Step = {
  method: "POST",
  path: "/flavors/{flavor_id}/os-extra_specs",
  as: "admin",
  version: "2.1",
  status: 200,
  body: { sample: "flavor-extra-specs/flavor-extra-specs-create-req.json" },
};

/** A keypair nimbus generates for the row's caller (or, with `forUser`, for that user as admin). */
export function keypair(name: string, forUser?: string): Step {
  return {
    method: "POST",
    path: "/os-keypairs",
    version: forUser ? "2.10" : "2.2",
    status: 201,
    ...(forUser ? { as: "admin" as const } : {}),
    body: { json: { keypair: forUser ? { name, user_id: forUser } : { name } } },
  };
}
