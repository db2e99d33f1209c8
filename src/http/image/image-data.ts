import { open } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { badRequest, HttpFault } from "../faults.js";
import { callerOf, type ImageRoutes, type Params } from "./context.js";

/** A byte range of a download, inclusive at both ends. */
interface ByteRange {
  start: number;
  end: number;
}

/**
 * A single `Range: bytes=a-b` (or `a-`, or `-n`) against `size` bytes; undefined when there
 * is no range to honour (absent, or a form we do not serve, such as several ranges). A range
 * that starts past the end is refused with 416.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  const match = header?.trim().match(/^bytes=(\d*)-(\d*)$/);
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  let start: number;
  let end: number;
  if (match[1] === "") {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) {
    throw new HttpFault(416, "Requested range not satisfiable", { "Content-Range": `bytes */${size}` });
  }
  return { start, end };
}

/** Python's int() of a header value. */
function pyInt(value: string): number | undefined {
  return /^\s*[+-]?\d+\s*$/.test(value) ? Number.parseInt(value, 10) : undefined;
}

/** Image data: upload (streamed to disk) and download (streamed from disk). */
export async function imageDataRoutes(scope: FastifyInstance, routes: ImageRoutes): Promise<void> {
  const { images } = routes;

  scope.put<{ Params: Params }>("/v2/images/:id/file", {
    config: { streamBody: true },
    // Glance checks the media type before it reads any data
    preParsing: async (request, _reply, payload) => {
      const type = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
      if (type !== "application/octet-stream") throw new HttpFault(415, `Invalid content type ${type}`);
      return payload;
    },
    handler: async (request, reply) => {
      const header = request.headers["x-openstack-image-size"];
      let expectedSize: number | undefined;
      if (typeof header === "string") {
        expectedSize = pyInt(header);
        if (expectedSize === undefined) throw badRequest("Invalid or missing image size in request headers.");
      }
      // Glance's upload size is the Content-Length (absent on a chunked upload)
      const length = request.headers["content-length"];
      const declaredSize = length === undefined ? undefined : pyInt(length);
      // Data refused part-way (too large, over quota, disk full) must not destroy the request:
      // that would reset the connection before the 413 is sent.
      const body = request.body as Readable | undefined;
      const source = body?.iterator({ destroyOnReturn: false }) ?? new Uint8Array();
      await images.upload(callerOf(request), request.params.id, source, { expectedSize, declaredSize });
      return reply.code(204).send();
    },
  });

  scope.get<{ Params: Params }>("/v2/images/:id/file", async (request, reply) => {
    const data = await images.openData(callerOf(request), request.params.id);
    if (data.path === null) return reply.code(204).send();
    // opened before answering, so that a delete racing the download cannot cut it short
    const file = await open(data.path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
    if (!file) return reply.code(204).send();
    const size = (await file.stat()).size;
    let range: ByteRange | undefined;
    try {
      range = parseRange(request.headers.range, size);
    } catch (error) {
      await file.close();
      throw error;
    }
    void reply.header("Content-Type", "application/octet-stream");
    if (data.image.checksum) void reply.header("Content-MD5", data.image.checksum);
    if (range) {
      void reply
        .code(206)
        .header("Content-Range", `bytes ${range.start}-${range.end}/${size}`)
        .header("Content-Length", String(range.end - range.start + 1));
      return reply.send(file.createReadStream({ start: range.start, end: range.end }));
    }
    void reply.header("Content-Length", String(size));
    return reply.send(file.createReadStream());
  });
}
