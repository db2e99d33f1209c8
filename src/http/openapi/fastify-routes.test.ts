import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { describeRoutes } from "./fastify-routes.js";

describe("describeRoutes", () => {
  it("describes the scope's routes under its prefix, with their schemas, and serves the document", async () => {
    const app = Fastify();
    await app.register(
      async (scope) => {
        describeRoutes(scope, { title: "Things", version: "1.0" });
        scope.get("/", async () => ({}));
        await scope.register(async (child) => {
          child.post(
            "/v1/things/:thing_id",
            {
              schema: {
                body: { type: "object", properties: { name: { type: "string" } } },
                querystring: { type: "object", properties: { dry: { type: "boolean" } }, required: ["dry"] },
              },
            },
            async () => ({}),
          );
        });
      },
      { prefix: "/things" },
    );
    app.get("/elsewhere", async () => ({}));

    const response = await app.inject({ method: "GET", url: "/things/openapi.json" });
    expect(response.headers["content-type"]).toMatch(/^application\/json/);
    const document = response.json();
    expect(document.info).toEqual({ title: "Things", version: "1.0" });
    expect(Object.keys(document.paths)).toEqual(["/openapi.json", "/", "/v1/things/{thing_id}"]);
    expect(Object.keys(document.paths["/"])).toEqual(["get", "head"]);
    expect(document.paths["/v1/things/{thing_id}"].post).toEqual({
      parameters: [
        { name: "thing_id", in: "path", required: true, schema: { type: "string" } },
        { name: "dry", in: "query", required: true, schema: { type: "boolean" } },
      ],
      requestBody: {
        content: {
          "application/json": { schema: { type: "object", properties: { name: { type: "string" } } } },
        },
      },
    });
    await app.close();
  });
});
