import type { HostService, Service, ServiceChanges } from "../../services/compute/host-service.js";
import { badRequest, notFound } from "../faults.js";
import { strictBool } from "./flavors.js";
import { lastValue } from "./pagination.js";
import { authorize, type Policy } from "./policy.js";
import type { ComputeCall, RouteDef } from "./router.js";
import { NOVA_FORMATS } from "./validation.js";
import { serviceView } from "./views/services.js";

const p = (action: string): Policy => ({ name: `os_compute_api:os-services:${action}`, rule: "admin" });

export interface ServiceRouteDeps {
  hosts: HostService;
}

/** From 2.53 services are named by uuid in the path, and PUT takes the changes in its body. */
const UUIDS_FROM = "2.53";

/** Python's int() of a path segment (oslo validate_integer). */
const INTEGER = /^\s*[+-]?\d+(_\d+)*\s*$/;

interface LegacyBody {
  host: string;
  binary: string;
  disabled_reason?: string;
  forced_down?: boolean | string;
}

/**
 * The pre-2.53 updates, named by the path (PUT /os-services/disable ...) with the service
 * named by host and binary in the body; each answers with what it set.
 */
const LEGACY_ACTIONS: Record<
  string,
  { min?: string; run: (hosts: HostService, body: LegacyBody) => Promise<Record<string, unknown>> }
> = {
  enable: {
    run: async (hosts, body) => {
      await hosts.updateByHost(body.host, body.binary, { disabled: false, disabledReason: null });
      return { host: body.host, binary: body.binary, status: "enabled" };
    },
  },
  disable: {
    run: async (hosts, body) => {
      await hosts.updateByHost(body.host, body.binary, { disabled: true, disabledReason: null });
      return { host: body.host, binary: body.binary, status: "disabled" };
    },
  },
  "disable-log-reason": {
    run: async (hosts, body) => {
      const reason = body.disabled_reason;
      if (reason === undefined) throw badRequest("Missing disabled reason field");
      await hosts.updateByHost(body.host, body.binary, { disabled: true, disabledReason: reason });
      return { host: body.host, binary: body.binary, status: "disabled", disabled_reason: reason };
    },
  },
  "force-down": {
    min: "2.11",
    run: async (hosts, body) => {
      if (body.forced_down === undefined) throw badRequest("Missing forced_down field");
      // oslo's bool_from_string, not strict here: anything not true-ish is false
      const forcedDown = strictBool(body.forced_down) === true;
      await hosts.updateByHost(body.host, body.binary, { forcedDown });
      return { host: body.host, binary: body.binary, forced_down: forcedDown };
    },
  },
};

/** The changes of a 2.53 update body; nova's 400s for contradictions and for nothing to do. */
function changesOf(body: { status?: string; disabled_reason?: string; forced_down?: boolean | string }) {
  const changes: ServiceChanges = {};
  if (body.status === "enabled") {
    if (body.disabled_reason)
      throw badRequest("Specifying 'disabled_reason' with status 'enabled' is invalid.");
    changes.disabled = false;
    changes.disabledReason = null;
  } else if (body.status === "disabled") {
    changes.disabled = true;
    changes.disabledReason = body.disabled_reason ?? null;
  }
  if (body.forced_down !== undefined) changes.forcedDown = strictBool(body.forced_down) === true;
  if (body.status === undefined && body.forced_down === undefined) {
    throw badRequest("No updates were requested. Fields 'status' or 'forced_down' should be specified.");
  }
  return changes;
}

/**
 * GET /os-services, PUT /os-services/{id}, DELETE /os-services/{id} (all admin): the nova
 * services nimbus runs, their state and the operator's switches. Disabling a compute
 * service stops new servers from being scheduled to its host.
 */
export function serviceRoutes(deps: ServiceRouteDeps): RouteDef[] {
  const { hosts } = deps;

  /** The service a 2.53+ path names by uuid (nova checks the form before the policy). */
  const byUuid = async (call: ComputeCall): Promise<Service> => {
    const id = call.params.id!;
    authorize(call.auth, p("update"));
    const service = await hosts.find({ uuid: id });
    if (!service) throw notFound(`Service ${id} could not be found.`);
    return service;
  };

  return [
    {
      method: "GET",
      path: "/os-services",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, p("list"));
        const found = await hosts.list({
          host: lastValue(call.query, "host"),
          binary: lastValue(call.query, "binary"),
        });
        return { services: found.map((s) => serviceView(s, call.version)) };
      },
    },
    {
      method: "PUT",
      path: "/os-services/{id}",
      status: 200,
      handler: async (call) => {
        const id = call.params.id!;
        if (call.version.atLeast(UUIDS_FROM)) {
          if (!NOVA_FORMATS.uuid!(id)) throw badRequest(`Invalid uuid ${id}`);
          const service = await byUuid(call);
          const updated = await hosts.update(service, changesOf(call.body));
          return { service: serviceView(updated, call.version) };
        }
        authorize(call.auth, p("update"));
        const action = LEGACY_ACTIONS[id];
        if (!action || !call.version.within(action.min)) throw notFound("Unknown action");
        return { service: await action.run(hosts, call.body as LegacyBody) };
      },
    },
    {
      method: "DELETE",
      path: "/os-services/{id}",
      status: 204,
      handler: async (call) => {
        authorize(call.auth, p("delete"));
        const id = call.params.id!;
        let service: Service | undefined;
        if (call.version.atLeast(UUIDS_FROM)) {
          if (!NOVA_FORMATS.uuid!(id)) throw badRequest(`Invalid uuid ${id}`);
          service = await hosts.find({ uuid: id });
        } else {
          if (!INTEGER.test(id)) throw badRequest("Invalid input received: id must be an integer");
          service = await hosts.find({ id: Number(id.replace(/_/g, "")) });
        }
        if (!service) throw notFound(`Service ${id} not found.`);
        await hosts.delete(service);
      },
    },
  ];
}
