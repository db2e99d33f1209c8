// The ceiling: the least an HTTP API can do on this machine. A bare node:http server
// answering every request with the same JSON body (the size of a small Nova response), in
// its own process, as nimbus is. It prints its port on stdout once listening.
import http from "node:http";

const body = Buffer.from(
  JSON.stringify({
    version: {
      id: "v2.1",
      status: "CURRENT",
      version: "2.104",
      min_version: "2.1",
      updated: "2013-07-23T11:33:21Z",
      links: [{ rel: "self", href: "http://127.0.0.1/compute/v2.1/" }],
      "media-types": [
        { base: "application/json", type: "application/vnd.openstack.compute+json;version=2.1" },
      ],
    },
  }),
);

const server = http.createServer((request, response) => {
  request.resume();
  request.on("end", () => {
    response.writeHead(200, { "Content-Type": "application/json", "Content-Length": body.length });
    response.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port, bodyBytes: body.length })}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
