import type { FastifyRequest } from "fastify";
import type { AuthContext } from "../../services/context.js";
import type { ImageService } from "../../services/image/image-service.js";
import { HttpFault } from "../faults.js";

/** What every image route module is given. */
export interface ImageRoutes {
  images: ImageService;
  /** `<publicUrl>/image`: the base of absolute links (Location). */
  imageUrl: string;
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** The route reads its body as a raw stream (image data) instead of JSON. */
    streamBody?: boolean;
  }
}

/** The caller of a route behind the token check. */
export function callerOf(request: FastifyRequest): AuthContext {
  if (!request.auth) throw new HttpFault(401, "The request you have made requires authentication.");
  return request.auth;
}

/** The query string of a request, as parsed by the browser rules (repeats and order kept). */
export function queryOf(request: FastifyRequest): URLSearchParams {
  const at = request.url.indexOf("?");
  return new URLSearchParams(at < 0 ? "" : request.url.slice(at + 1));
}

export type Params = { id: string };
export type TagParams = { id: string; tag: string };
