import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Config } from "../../config.js";
import type { ImageService } from "../../services/image/image-service.js";
import { type Authenticate, authHook } from "../auth-hook.js";
import { HttpFault } from "../faults.js";
import { parseJsonBody } from "../json-body.js";
import { describeRoutes } from "../openapi/fastify-routes.js";
import { readBodyText } from "../request-body.js";
import type { ImageRoutes } from "./context.js";
import { installGlanceErrors } from "./errors.js";
import { imageDataRoutes } from "./image-data.js";
import { imageRoutes } from "./images.js";
import { versionsDocument } from "./versions.js";

export interface ImageDeps {
  images: ImageService;
  authenticate: Authenticate;
  config: Config;
}

/** Reads a request body as JSON whatever its media type, as Glance's JSON deserializer does. */
async function readJson(
  request: FastifyRequest,
  payload: AsyncIterable<Buffer>,
  limit: number,
): Promise<unknown> {
  const tooLarge = () => new HttpFault(413, "The body of your request was too large for this server.");
  const text = await readBodyText(request, payload, limit, tooLarge);
  if (text.trim() === "") return undefined;
  return parseJsonBody(text, "Malformed JSON in request body.");
}

/**
 * Mounts the Glance v2 subset under `/image`: version discovery without a token, and
 * behind the token check images, their data, tags, (de)activation and schemas. Errors in
 * this scope have Glance's (webob's) bodies; responses carry x-openstack-request-id only.
 */
export async function registerImage(app: FastifyInstance, deps: ImageDeps): Promise<void> {
  const publicUrl = deps.config.publicUrl.replace(/\/+$/, "");
  const imageUrl = `${publicUrl}/image`;
  const routes: ImageRoutes = { images: deps.images, imageUrl };

  await app.register(
    async (scope) => {
      const current = versionsDocument("").versions.find((v) => v.status === "CURRENT")!;
      describeRoutes(scope, { title: "OpenStack Image API", version: current.id.slice(1) });
      installGlanceErrors(scope, `${publicUrl}/identity`);
      scope.addHook("onRequest", async (_request, reply) => {
        reply.removeHeader("x-compute-request-id");
      });

      // Bodies: image data stays a stream (the upload route writes it to disk as it comes);
      // anything else is JSON, which Glance reads whatever the Content-Type says.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser("*", async (request: FastifyRequest, payload: AsyncIterable<Buffer>) => {
        if (request.routeOptions.config.streamBody) return payload;
        return readJson(request, payload, deps.config.bodyLimitBytes);
      });

      scope.get("/", async (_request, reply) => {
        void reply.code(300);
        return versionsDocument(imageUrl);
      });
      scope.get("/versions", async () => versionsDocument(imageUrl));

      await scope.register(async (v2) => {
        v2.addHook("onRequest", authHook(deps.authenticate));
        await imageRoutes(v2, routes);
        await imageDataRoutes(v2, routes);
      });
    },
    { prefix: "/image" },
  );
}
