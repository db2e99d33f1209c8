import type {
  Flavor,
  FlavorService,
  FlavorSortKey,
  NewFlavor,
} from "../../services/compute/flavor-service.js";
import { badRequest } from "../faults.js";
import { lastValue, nextLinks, pageOf } from "./pagination.js";
import { allows, authorize, type Policy } from "./policy.js";
import type { ComputeCall, RouteDef } from "./router.js";
import { flavorDetail, flavorSummary } from "./views/flavors.js";

const manage = (action: string): Policy => ({
  name: `os_compute_api:os-flavor-manage:${action}`,
  rule: "admin",
});

/** Who sees extra_specs inside flavor views (2.61+): nova asks the extra-specs index policy. */
export const EXTRA_SPECS_INDEX: Policy = {
  name: "os_compute_api:os-flavor-extra-specs:index",
  rule: "project_reader",
};

export interface FlavorRouteDeps {
  flavors: FlavorService;
}

const TRUE_STRINGS = new Set(["1", "t", "true", "on", "y", "yes"]);
const FALSE_STRINGS = new Set(["0", "f", "false", "off", "n", "no"]);

/** oslo's bool_from_string(strict=True); undefined when the text is neither. */
export function strictBool(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  const text = String(value).trim().toLowerCase();
  if (TRUE_STRINGS.has(text)) return true;
  if (FALSE_STRINGS.has(text)) return false;
  return undefined;
}

/** Python's int() on a query string value. */
const pythonInt = (text: string): number | undefined =>
  /^\s*[+-]?\d+(_\d+)*\s*$/.test(text) ? Number(text.replace(/_/g, "")) : undefined;

/** The is_public list filter (admins only): absent = true, "none" = all, else a strict boolean. */
function isPublicFilter(text: string | undefined): boolean | null {
  if (text === undefined) return true;
  if (text.toLowerCase() === "none") return null;
  const value = strictBool(text);
  if (value === undefined) throw badRequest(`Invalid is_public filter [${text}]`);
  return value;
}

function intFilter(query: Record<string, string[]>, name: string): number | undefined {
  const text = lastValue(query, name);
  if (text === undefined) return undefined;
  const value = pythonInt(text);
  if (value === undefined) throw badRequest(`Invalid ${name} filter [${text}]`);
  return value;
}

/** nova's flavors.create checks on the body values (strings allowed by the schema included). */
function integer(value: unknown, name: string, min: number): number {
  const n = typeof value === "number" ? value : pythonInt(String(value));
  if (n === undefined || !Number.isInteger(n))
    throw badRequest(`Invalid input received: ${name} must be an integer`);
  if (n < min) throw badRequest(`Invalid input received: ${name} must be >= ${min}`);
  if (n > 2147483647) throw badRequest(`Invalid input received: ${name} must be <= 2147483647`);
  return n;
}

function newFlavor(call: ComputeCall): NewFlavor {
  const vals = call.body.flavor as Record<string, unknown>;
  const rxtx = vals.rxtx_factor === undefined ? 1 : Number(vals.rxtx_factor);
  if (!(rxtx > 0) || rxtx > 3.40282e38) {
    throw badRequest(
      "Invalid input received: 'rxtx_factor' argument must be a float between 0 and 3.40282e+38",
    );
  }
  const isPublic =
    vals["os-flavor-access:is_public"] === undefined ? true : strictBool(vals["os-flavor-access:is_public"]);
  if (isPublic === undefined) throw badRequest("Invalid input received: is_public must be a boolean");
  const id = vals.id;
  return {
    name: String(vals.name),
    // nova generates a UUID when the id is missing or falsy (null, "", 0)
    flavorid: id === undefined || id === null || id === "" || id === 0 ? null : String(id),
    memory_mb: integer(vals.ram, "ram", 1),
    vcpus: integer(vals.vcpus, "vcpus", 1),
    root_gb: integer(vals.disk, "disk", 0),
    ephemeral_gb: integer(vals["OS-FLV-EXT-DATA:ephemeral"] ?? 0, "ephemeral", 0),
    swap: integer(vals.swap ?? 0, "swap", 0),
    rxtx_factor: rxtx,
    is_public: isPublic,
    description: call.version.atLeast("2.55")
      ? ((vals.description as string | null | undefined) ?? null)
      : null,
  };
}

/** Query parameters the flavor lists honour, and from which microversion (outside: dropped by validation). */
function listQuery(call: ComputeCall) {
  const q = call.query;
  return {
    isPublic: call.auth.isAdmin ? isPublicFilter(lastValue(q, "is_public")) : true,
    minMemoryMb: intFilter(q, "minRam"),
    minRootGb: intFilter(q, "minDisk"),
    name: lastValue(q, "name") || undefined,
    sortKey: (lastValue(q, "sort_key") || "flavorid") as FlavorSortKey,
    sortDir: (lastValue(q, "sort_dir") || "asc") as "asc" | "desc",
  };
}

/** GET/POST /flavors, GET /flavors/detail, GET/PUT/DELETE /flavors/{id}. */
export function flavorRoutes(deps: FlavorRouteDeps): RouteDef[] {
  const { flavors } = deps;

  const viewContext = (call: ComputeCall) => ({
    version: call.version,
    links: call.links,
    showExtraSpecs: allows(call.auth, EXTRA_SPECS_INDEX.rule),
  });
  const show = (call: ComputeCall, flavor: Flavor) => ({ flavor: flavorDetail(flavor, viewContext(call)) });

  const list = (kind: "index" | "detail") => async (call: ComputeCall) => {
    const page = pageOf(call.query);
    const found = await flavors.list(call.auth, { ...listQuery(call), ...page });
    const v = viewContext(call);
    const body: Record<string, unknown> = {
      flavors: found.map((f) => (kind === "index" ? flavorSummary(f, v) : flavorDetail(f, v))),
    };
    const next = nextLinks(
      call,
      kind === "index" ? "flavors" : "flavors/detail",
      page,
      found,
      (f) => f.flavorid,
    );
    if (next) body.flavors_links = next;
    return body;
  };

  return [
    { method: "GET", path: "/flavors", status: 200, handler: list("index") },
    { method: "GET", path: "/flavors/detail", status: 200, handler: list("detail") },
    {
      method: "GET",
      path: "/flavors/{id}",
      status: 200,
      handler: async (call) => show(call, await flavors.get(call.auth, call.params.id!)),
    },
    {
      method: "POST",
      path: "/flavors",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, manage("create"));
        return show(call, await flavors.create(newFlavor(call)));
      },
    },
    {
      method: "PUT",
      path: "/flavors/{id}",
      min: "2.55",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, manage("update"));
        const description = (call.body.flavor.description ?? null) as string | null;
        return show(call, await flavors.updateDescription(call.auth, call.params.id!, description));
      },
    },
    {
      method: "DELETE",
      path: "/flavors/{id}",
      status: 202,
      handler: async (call) => {
        authorize(call.auth, manage("delete"));
        await flavors.delete(call.params.id!);
      },
    },
  ];
}
