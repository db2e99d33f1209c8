import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyInstance } from "fastify";
import { type WebSocket, WebSocketServer } from "ws";
import { type ConsoleService, SERIAL_CONSOLE_PATH } from "../services/compute/console-service.js";

/**
 * nova's serial console proxy on nimbus's own listener: a websocket upgrade of
 * `SERIAL_CONSOLE_PATH?token=…` streams the token's server's console until the server goes.
 * A bad or expired token is refused before the upgrade (401), as nova's proxy refuses it.
 */
export function registerSerialConsole(app: FastifyInstance, consoles: ConsoleService): void {
  const wss = new WebSocketServer({ noServer: true });
  app.server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? "/", "http://nimbus");
    if (url.pathname !== SERIAL_CONSOLE_PATH && url.pathname !== SERIAL_CONSOLE_PATH.slice(0, -1)) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
      return;
    }
    const token = url.searchParams.get("token") ?? "";
    // output that arrives before the upgrade completes is held, then sent in order
    const held: string[] = [];
    let ws: WebSocket | undefined;
    let ended = false;
    consoles
      .attachSerial(token, {
        data: (text) => (ws ? ws.send(text) : held.push(text)),
        end: () => {
          ended = true;
          ws?.close(1000, "console closed");
        },
      })
      .then((session) => {
        wss.handleUpgrade(request, socket, head, (client) => {
          ws = client;
          for (const text of held.splice(0)) client.send(text);
          if (ended) client.close(1000, "console closed");
          // what the client types goes to the guest, as nova's proxy passes it to the pty
          client.on("message", (data) => session.input(data.toString()));
          client.on("close", () => session.detach());
        });
      })
      .catch((error: unknown) => {
        app.log.info({ err: error }, "serial console refused");
        socket.end("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n");
      });
  });
  app.addHook("onClose", async () => {
    for (const client of wss.clients) client.terminate();
    wss.close();
  });
}
