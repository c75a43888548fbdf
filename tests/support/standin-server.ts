import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

/** What a stand-in answers: JSON, or no body at all (204). */
export interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/**
 * Resolves with the first of `calls` that passes `test`, polling as more arrive;
 * after `ms`, fails with every call so far (`show` draws one) to see what came instead.
 */
export async function waitForCall<T>(
  calls: readonly T[],
  test: (c: T) => boolean,
  what: string,
  ms: number,
  show: (c: T) => string,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const hit = calls.find(test);
    if (hit) return hit;
    if (Date.now() > end) {
      throw new Error(
        `stand-in: no ${what} within ${ms} ms. Calls:\n${calls.map(show).join('\n')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until `ok()` holds, polling; fails after `ms` saying what never happened. */
export async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`${what} did not happen within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The HTTP and WebSocket plumbing of a chat platform stand-in: one loopback server
 * whose requests go to `handle` and whose WebSocket lives at `wsPath`.
 */
export class StandinServer {
  readonly http: Server;
  readonly wss: WebSocketServer;
  port = 0;

  constructor(handle: (req: IncomingMessage) => Promise<Answer>, wsPath: string) {
    this.http = createServer((req, res) => {
      void handle(req).then(
        ({ status, body, headers }) => {
          res.writeHead(
            status,
            body === undefined ? headers : { 'content-type': 'application/json', ...headers },
          );
          res.end(body === undefined ? undefined : JSON.stringify(body));
        },
        (e: unknown) => {
          res.writeHead(500);
          res.end(String(e));
        },
      );
    });
    this.wss = new WebSocketServer({ server: this.http, path: wsPath });
  }

  /** `host`: 127.0.0.1, or an address a container's network can reach (the image suite). */
  async listen(port = 0, host = '127.0.0.1'): Promise<void> {
    await new Promise<void>((resolve) => this.http.listen(port, host, resolve));
    this.port = (this.http.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise((r) => this.http.close(r));
  }
}
