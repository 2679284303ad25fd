import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { dispatch, type EventBus } from '../api';
import type { ApiHandlers, CallResult, ErrorPayload } from '../shared';
import { readStaticFile, resolveStaticFile } from './static-files';

export const LOOPBACK_HOST = '127.0.0.1';
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** A refused body is read and dropped up to this size (so the client sees the 413); beyond it the socket is closed. */
const MAX_DRAIN_BYTES = 4 * MAX_BODY_BYTES;

/** The renderer's CSP when served over HTTP (Electron loads the same page from file://). */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface ServerOptions {
  handlers: ApiHandlers;
  bus: EventBus;
  /** Folder with the built renderer (index.html); null serves the API only. */
  staticDir: string | null;
  /** 0 picks a free port. */
  port?: number;
  /** Fixed token (tests); a fresh random one per launch otherwise. */
  token?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/**
 * The contract over HTTP + WebSocket, for the browser mode. Binds 127.0.0.1 only; every API
 * request and every WebSocket must carry the per-launch token (Authorization: Bearer, or
 * `?token=` for the WebSocket, which browsers cannot give headers). Host headers other than
 * loopback names are refused, which stops DNS-rebinding pages from reaching the API.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  let port = 0;

  const server = createServer((request, response) => {
    handleHttp(request, response, options, token).catch((error: unknown) => {
      sendJson(response, 500, { ok: false, error: { code: 'INTERNAL', message: String(error) } });
    });
  });

  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    // A browser always sends Origin: a page of another site (or another port) must not reach the
    // events even if it learnt the token. Clients that send none (Node, curl) cannot be driven by a page.
    if (!originAllowed(request.headers.origin, port)) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    if (
      !isLoopbackHost(request.headers.host) ||
      url.pathname !== '/events' ||
      !tokenMatches(url.searchParams.get('token'), token)
    ) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => sockets.delete(ws));
    });
  });

  const unsubscribe = options.bus.subscribe((event) => {
    const text = JSON.stringify(event);
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, LOOPBACK_HOST, () => resolvePromise());
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://${LOOPBACK_HOST}:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
    },
  };
}

async function handleHttp(
  request: IncomingMessage,
  response: ServerResponse,
  options: ServerOptions,
  token: string,
): Promise<void> {
  if (!isLoopbackHost(request.headers.host)) {
    return sendJson(response, 403, failure('UNAUTHORIZED', 'Requests must address 127.0.0.1 or localhost.'));
  }
  const url = new URL(request.url ?? '/', 'http://localhost');

  if (url.pathname === '/api/call') {
    if (request.method !== 'POST')
      return sendJson(response, 405, failure('INVALID_PAYLOAD', 'Use POST for /api/call.'));
    const header = request.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : null;
    if (!tokenMatches(given, token)) {
      return sendJson(
        response,
        401,
        failure('UNAUTHORIZED', 'Missing or wrong token: open the URL that `npm run serve` printed.'),
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(await readBody(request));
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        return sendJson(
          response,
          413,
          failure(
            'INVALID_PAYLOAD',
            `Request body is larger than ${MAX_BODY_BYTES} bytes (${MAX_BODY_BYTES / 1024 / 1024} MB); send less per call.`,
          ),
        );
      }
      return sendJson(
        response,
        400,
        failure('INVALID_PAYLOAD', `Request body is not valid JSON: ${(error as Error).message}`),
      );
    }
    if (typeof body !== 'object' || body === null || !('method' in body)) {
      return sendJson(
        response,
        400,
        failure('INVALID_PAYLOAD', 'Request body must be { "method": string, "params": object }.'),
      );
    }
    const { method, params } = body as { method: unknown; params?: unknown };
    const result = await dispatch(options.handlers, method, params);
    return sendJson(response, statusFor(result), result);
  }

  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return sendJson(response, 405, failure('INVALID_PAYLOAD', `${request.method} is not supported here.`));
  }
  const file = options.staticDir ? resolveStaticFile(options.staticDir, url.pathname) : null;
  if (!file) {
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    response.end(options.staticDir ? 'Not found' : 'The renderer is not built: run `npm run build`.');
    return;
  }
  response.writeHead(200, {
    'Content-Type': file.contentType,
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
  });
  response.end(request.method === 'HEAD' ? undefined : readStaticFile(file.path));
}

function statusFor(result: CallResult): number {
  if (result.ok) return 200;
  switch (result.error.code) {
    case 'INVALID_PAYLOAD':
    case 'UNKNOWN_METHOD':
      return 400;
    case 'UNAUTHORIZED':
      return 401;
    case 'ALREADY_RUNNING':
      return 409;
    case 'INTERNAL':
      return 500;
    default:
      return 422;
  }
}

function failure(code: ErrorPayload['code'], message: string): CallResult {
  return { ok: false, error: { code, message } };
}

function sendJson(response: ServerResponse, status: number, body: CallResult): void {
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  response.end(JSON.stringify(body));
}

class BodyTooLarge extends Error {}

/**
 * The body as text, refused (BodyTooLarge) past MAX_BODY_BYTES — at once when Content-Length says so.
 * A refused body is still read and dropped, so the client gets to read the 413 instead of a reset;
 * past MAX_DRAIN_BYTES the socket is closed.
 */
function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    const refuse = (): void => {
      refused = true;
      chunks.length = 0;
      reject(new BodyTooLarge());
    };
    if (Number(request.headers['content-length'] ?? 0) > MAX_BODY_BYTES) refuse();
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (refused) {
        if (size > MAX_DRAIN_BYTES) request.destroy();
        return;
      }
      if (size > MAX_BODY_BYTES) return refuse();
      chunks.push(chunk);
    });
    request.on('end', () => resolvePromise(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function tokenMatches(given: string | null, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** No Origin (not a browser), or this server's own: http://127.0.0.1:<port> or http://localhost:<port>. */
function originAllowed(origin: string | undefined, port: number): boolean {
  if (origin === undefined) return true;
  return origin === `http://${LOOPBACK_HOST}:${port}` || origin === `http://localhost:${port}`;
}

function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.replace(/:\d+$/, '');
  return name === LOOPBACK_HOST || name === 'localhost' || name === '[::1]';
}
