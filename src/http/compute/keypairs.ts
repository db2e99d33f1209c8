import type { KeypairService, KeypairType } from "../../services/compute/keypair-service.js";
import type { AuthContext } from "../../services/context.js";
import { forbidden } from "../faults.js";
import type { ApiVersion } from "./microversion.js";
import { nextLinks, pageOf } from "./pagination.js";
import type { ComputeCall, RouteDef } from "./router.js";
import { keypairView } from "./views/keypairs.js";

export interface KeypairRouteDeps {
  keypairs: KeypairService;
}

/** Keypair lists take limit and marker (a name) from this microversion. */
const PAGINATED_FROM = "2.35";

/** 200/202 until 2.1, 201/204 from 2.2. */
const createStatus = (v: ApiVersion) => (v.atLeast("2.2") ? 201 : 200);
const deleteStatus = (v: ApiVersion) => (v.atLeast("2.2") ? 204 : 202);

/**
 * nova's keypair policies: `rule:admin_api or user_id:%(user_id)s`. Only admins reach
 * another user's keypairs (the user_id parameter exists from 2.10).
 */
function authorizeOwner(auth: AuthContext, action: string, userId: string): void {
  if (auth.isAdmin || auth.userId === userId) return;
  throw forbidden(`Policy doesn't allow os_compute_api:os-keypairs:${action} to be performed.`);
}

/** The user a request is about: `user_id` (first value; the schema admits it from 2.10) or the caller. */
const targetUser = (call: ComputeCall): string => call.query.user_id?.[0] ?? call.auth.userId;

/** GET/POST /os-keypairs, GET/DELETE /os-keypairs/{id}. */
export function keypairRoutes(deps: KeypairRouteDeps): RouteDef[] {
  const { keypairs } = deps;

  return [
    {
      method: "GET",
      path: "/os-keypairs",
      status: 200,
      handler: async (call) => {
        const userId = targetUser(call);
        authorizeOwner(call.auth, "index", userId);
        const page = call.version.atLeast(PAGINATED_FROM) ? pageOf(call.query) : undefined;
        const found = await keypairs.list(userId, page ?? {});
        const body: Record<string, unknown> = {
          keypairs: found.map((k) => ({ keypair: keypairView(k, "index", call.version) })),
        };
        const next = page && nextLinks(call, "os-keypairs", page, found, (k) => k.name);
        if (next) body.keypairs_links = next;
        return body;
      },
    },
    {
      method: "POST",
      path: "/os-keypairs",
      status: createStatus,
      handler: async (call) => {
        const params = call.body.keypair as Record<string, string | undefined>;
        const userId = params.user_id || call.auth.userId;
        authorizeOwner(call.auth, "create", userId);
        const { keypair, privateKey } = await keypairs.create(call.auth, {
          userId,
          name: params.name!,
          type: (params.type ?? "ssh") as KeypairType,
          publicKey: params.public_key,
        });
        return { keypair: keypairView(keypair, "create", call.version, privateKey) };
      },
    },
    {
      method: "GET",
      path: "/os-keypairs/{id}",
      status: 200,
      handler: async (call) => {
        const userId = targetUser(call);
        authorizeOwner(call.auth, "show", userId);
        return { keypair: keypairView(await keypairs.get(userId, call.params.id!), "show", call.version) };
      },
    },
    {
      method: "DELETE",
      path: "/os-keypairs/{id}",
      status: deleteStatus,
      handler: async (call) => {
        const userId = targetUser(call);
        authorizeOwner(call.auth, "delete", userId);
        await keypairs.delete(userId, call.params.id!);
      },
    },
  ];
}
