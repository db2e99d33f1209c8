import type { FastifyRequest } from "fastify";

/**
 * How much of a body over the limit is still read (and thrown away) before the 413, as a
 * multiple of the limit. Answering while the client is still sending and then closing makes
 * the server's kernel reset the connection, and a client still writing its body then sees
 * EPIPE or ECONNRESET instead of the 413; reading the rest first (a lingering close, as web
 * servers do) lets it read the answer. A body declared longer than this is refused at once.
 */
const DRAIN_FACTOR = 16;

/**
 * A request body as text, at most `limit` bytes of it. A longer body throws `tooLarge()`
 * once it has been read to its end, or at once when its Content-Length (or what has come
 * so far) passes DRAIN_FACTOR times the limit. Only `limit` bytes are ever held.
 */
export async function readBodyText(
  request: FastifyRequest,
  payload: AsyncIterable<Buffer | string>,
  limit: number,
  tooLarge: () => Error,
): Promise<string> {
  const drainLimit = limit * DRAIN_FACTOR;
  if (Number(request.headers["content-length"]) > drainLimit) throw tooLarge();
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const piece of payload) {
    const chunk = typeof piece === "string" ? Buffer.from(piece) : piece;
    received += chunk.length;
    if (received > drainLimit) throw tooLarge();
    if (received <= limit) chunks.push(chunk);
  }
  if (received > limit) throw tooLarge();
  return Buffer.concat(chunks).toString("utf8");
}
