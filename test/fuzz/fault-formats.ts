/**
 * What an answer must look like, per API: never a 5xx, and every error a JSON body in the
 * dialect of the API the path belongs to. Written from the upstream services, not from
 * nimbus's own tables, so that a wrong table in nimbus shows here.
 */
import type { WireResponse } from "./wire.js";

export type Api = "compute" | "identity" | "image" | "network";

/** nova/api/openstack/wsgi.py Fault._fault_names; anything else is computeFault. */
const NOVA_FAULT_NAMES: Record<number, string> = {
  400: "badRequest",
  401: "unauthorized",
  403: "forbidden",
  404: "itemNotFound",
  405: "badMethod",
  409: "conflictingRequest",
  413: "overLimit",
  415: "badMediaType",
  429: "overLimit",
  501: "notImplemented",
  503: "serviceUnavailable",
};

/** The API a raw path is served by: its first segment, as the server routes it. */
export function apiOf(path: string): Api {
  const first = path.split(/[/?]/)[1];
  if (first === "identity" || first === "image" || first === "network") return first;
  return "compute";
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** webob's JSON error body: `{"code": "404 Not Found", "title": ..., "message": ...}` (Glance, nova's router). */
function isWebobError(body: Record<string, unknown>, status: number): boolean {
  return (
    typeof body.code === "string" &&
    body.code.startsWith(`${status} `) &&
    typeof body.title === "string" &&
    typeof body.message === "string"
  );
}

/** Keystone's `{"error": {"code": 401, "title": ..., "message": ...}}` (keystonemiddleware too). */
function isKeystoneError(body: Record<string, unknown>, status: number): boolean {
  const error = body.error;
  return (
    Object.keys(body).length === 1 &&
    isObject(error) &&
    error.code === status &&
    typeof error.title === "string" &&
    typeof error.message === "string"
  );
}

/** Neutron's `{"NeutronError": {"type": ..., "message": ..., "detail": ...}}`. */
function isNeutronError(body: Record<string, unknown>): boolean {
  const error = body.NeutronError;
  return (
    Object.keys(body).length === 1 &&
    isObject(error) &&
    typeof error.type === "string" &&
    typeof error.message === "string" &&
    typeof error.detail === "string"
  );
}

function isNovaFault(body: Record<string, unknown>, status: number): boolean {
  const keys = Object.keys(body);
  const fault = body[NOVA_FAULT_NAMES[status] ?? "computeFault"];
  return keys.length === 1 && isObject(fault) && fault.code === status && typeof fault.message === "string";
}

/** Why this answer to `method path` is wrong, or undefined when it is right. */
export function answerProblem(method: string, path: string, response: WireResponse): string | undefined {
  const api = apiOf(path);
  const { status } = response;
  // 501 is nova's deliberate answer where the virt driver lacks a feature (os-hosts power
  // actions, hypervisor uptime, pause, console output...): in its expected errors, not a crash
  const deliberate = api === "compute" && status === 501;
  if (status >= 500 && !deliberate) return `a ${status}`;
  // an answer to HEAD has no body, whatever its status
  if (status < 400 || method === "HEAD") return undefined;
  if (!response.contentType.startsWith("application/json"))
    return `a ${status} error as ${response.contentType || "no content type"}, not JSON`;
  let body: unknown;
  try {
    body = JSON.parse(response.text);
  } catch {
    return `a ${status} error whose body is not JSON`;
  }
  if (!isObject(body)) return `a ${status} error whose body is not a JSON object`;
  switch (api) {
    case "compute":
      // nova's router answers paths it has no route for with webob's body, outside the envelope
      if (isNovaFault(body, status) || (status === 404 && isWebobError(body, status))) return undefined;
      return `a ${status} error outside Nova's fault format`;
    case "identity":
      return isKeystoneError(body, status) ? undefined : `a ${status} error outside Keystone's format`;
    case "image":
      // a missing or bad token is keystonemiddleware's answer, before Glance sees the request
      if (isWebobError(body, status) || (status === 401 && isKeystoneError(body, status))) return undefined;
      return `a ${status} error outside Glance's format`;
    case "network":
      // as for images, a missing or bad token is keystonemiddleware's answer
      if (isNeutronError(body) || (status === 401 && isKeystoneError(body, status))) return undefined;
      return `a ${status} error outside Neutron's format`;
  }
}
