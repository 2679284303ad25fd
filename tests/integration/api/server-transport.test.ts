import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { EventBus, type ApiService } from '../../../src-main/api';
import { startServer, type RunningServer } from '../../../src-main/server';
import type { ApiHandlers, CallResult, WireEvent } from '../../../src-main/shared';
import { writeSampleDatabase } from '../../fixtures/sample-db';
import { startApiService } from '../../helpers/api-service';
import { makeTempDir } from '../../helpers/temp-dir';

const temp = makeTempDir('server');
let server: RunningServer;
let service: ApiService;
let runsGet: ReturnType<typeof vi.fn>;
let sample: ReturnType<typeof writeSampleDatabase>;

async function call(method: string, params: unknown, token: string | null = server.token) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(`http://127.0.0.1:${server.port}/api/call`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ method, params }),
  });
  return { status: response.status, body: (await response.json()) as CallResult };
}

beforeAll(async () => {
  const dbPath = join(temp.dir, 'sample.deltascope');
  sample = writeSampleDatabase(dbPath);
  const { bus, ...api } = startApiService(temp.dir, { open: dbPath });
  service = api.service;
  runsGet = vi.fn(service.handlers['runs.get']);
  const handlers: ApiHandlers = { ...service.handlers, 'runs.get': runsGet as ApiHandlers['runs.get'] };
  server = await startServer({ handlers, bus, staticDir: null, port: 0 });
});

afterAll(async () => {
  await server.close();
  service.dispose();
  temp.cleanup();
});

describe('the API over HTTP + WebSocket', () => {
  it('binds to 127.0.0.1 and prints a URL carrying the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token.length).toBeGreaterThanOrEqual(24);
  });

  it('answers runs.tree with the experiments, runs and checkpoints of the open database', async () => {
    const { status, body } = await call('runs.tree', {});
    expect(status).toBe(200);
    if (!body.ok) throw new Error(body.error.message);
    const tree = body.result as { name: string; runs: { phase: string; checkpoints: unknown[] }[] }[];
    const demo = tree.find((experiment) => experiment.name === 'maze-cheese-demo');
    expect(demo?.runs.map((run) => run.phase)).toContain('pretrain');
    expect(demo?.runs.every((run) => run.checkpoints.length > 0)).toBe(true);
  });

  it('downsamples metric series to maxPoints', async () => {
    const { body } = await call('metrics.series', { runId: sample.runIds[0], maxPoints: 20 });
    if (!body.ok) throw new Error(body.error.message);
    const series = body.result as { key: string; steps: number[]; totalPoints: number }[];
    expect(series.length).toBeGreaterThan(0);
    for (const one of series) {
      expect(one.steps.length).toBeLessThanOrEqual(20);
      expect(one.totalPoints).toBeGreaterThan(20);
    }
  });

  it('answers metrics.final with the last value of each key per run, and names an unknown run', async () => {
    const { body } = await call('metrics.final', {
      runIds: sample.runIds.slice(0, 2),
      keys: ['charts/success', 'losses/no_such_key'],
    });
    if (!body.ok) throw new Error(body.error.message);
    const rows = body.result as { runId: number; key: string; step: number; value: number }[];
    expect(rows.map((row) => [row.runId, row.key, row.step])).toEqual([
      [sample.runIds[0], 'charts/success', 200_704],
      [sample.runIds[1], 'charts/success', 200_704],
    ]);
    const missing = await call('metrics.final', { runIds: [9999], keys: ['charts/success'] });
    expect(missing.body.ok).toBe(false);
    if (!missing.body.ok) expect(missing.body.error.message).toContain('9999');
  });

  it('refuses a request without the token, or with a wrong one, before any service runs', async () => {
    const missing = await call('runs.get', { runId: sample.runIds[0] }, null);
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    const wrong = await call('runs.get', { runId: sample.runIds[0] }, 'not-the-token');
    expect(wrong.status).toBe(401);
    expect(runsGet).not.toHaveBeenCalled();
  });

  it('rejects an invalid payload with a message naming the field, before the handler', async () => {
    const { status, body } = await call('runs.get', { runId: 'seven' });
    expect(status).toBe(400);
    expect(body.ok).toBe(false);
    if (body.ok) return;
    expect(body.error.code).toBe('INVALID_PAYLOAD');
    expect(body.error.message).toMatch(/runs\.get.*params\.runId/);
    expect(runsGet).not.toHaveBeenCalled();
    const unknown = await call('runs.delete', {});
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
  });

  it('runs the handler for a valid request', async () => {
    const { body } = await call('runs.get', { runId: sample.runIds[0] });
    expect(body.ok).toBe(true);
    expect(runsGet).toHaveBeenCalledTimes(1);
  });

  it('refuses requests addressed to a non-loopback host name (DNS rebinding)', async () => {
    const response = await new Promise<number>((resolve, reject) => {
      import('node:http').then(({ request }) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: server.port,
            path: '/api/call',
            method: 'POST',
            headers: { Host: 'evil.example:80' },
          },
          (res) => resolve(res.statusCode ?? 0),
        );
        req.on('error', reject);
        req.end('{}');
      }, reject);
    });
    expect(response).toBe(403);
  });

  it('refuses a WebSocket without the token', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events`);
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(200));
      ws.on('error', () => resolve(-1));
    });
    expect(status).toBe(401);
  });

  it('pushes db.changed to a connected WebSocket, and keeps the open database when a bad file is refused', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events?token=${server.token}`);
    await new Promise((resolve, reject) => {
      ws.on('open', resolve);
      ws.on('error', reject);
    });
    const received: WireEvent[] = [];
    ws.on('message', (data) => received.push(JSON.parse(String(data)) as WireEvent));

    const notADb = join(temp.dir, 'notes.deltascope');
    writeFileSync(notADb, 'these are my notes, not a database\n');
    const refused = await call('db.open', { path: notADb });
    expect(refused.body.ok).toBe(false);
    if (!refused.body.ok) {
      expect(refused.body.error.code).toBe('NOT_A_DATABASE');
      expect(refused.body.error.message).toContain(notADb);
    }
    const current = await call('db.current', {});
    expect(current.body).toMatchObject({ ok: true, result: { fileName: 'sample.deltascope' } });

    const fresh = join(temp.dir, 'fresh.deltascope');
    const created = await call('db.create', { path: fresh });
    expect(created.body).toMatchObject({ ok: true, result: { fileName: 'fresh.deltascope' } });
    await vi.waitFor(() => expect(received.some((event) => event.event === 'db.changed')).toBe(true));
    const changed = received.find((event) => event.event === 'db.changed');
    expect(changed?.payload).toMatchObject({ reason: 'opened', info: { fileName: 'fresh.deltascope' } });
    ws.close();
  });
});

describe('transport limits', () => {
  /** POSTs `body` to /api/call with node:http (chunked when `chunked`); resolves with status and JSON, or the socket error. */
  function post(body: Buffer, chunked: boolean): Promise<{ status: number; json: CallResult } | Error> {
    return new Promise((resolve) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: server.port,
          path: '/api/call',
          method: 'POST',
          headers: {
            Authorization: `Bearer ${server.token}`,
            'Content-Type': 'application/json',
            ...(chunked ? {} : { 'Content-Length': body.length }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as CallResult,
            }),
          );
        },
      );
      req.on('error', resolve);
      if (chunked) {
        for (let at = 0; at < body.length; at += 1 << 20) req.write(body.subarray(at, at + (1 << 20)));
        req.end();
      } else req.end(body);
    });
  }

  it('answers a body over the limit with 413 and the JSON error shape, with or without Content-Length', async () => {
    const big = Buffer.alloc(17 * 1024 * 1024, 0x20);
    for (const chunked of [false, true]) {
      const result = await post(big, chunked);
      if (result instanceof Error) throw result;
      expect(result.status).toBe(413);
      expect(result.json).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
      if (!result.json.ok) expect(result.json.error.message).toMatch(/larger than 16777216 bytes/);
    }
    // the server still answers afterwards
    expect((await call('db.current', {})).status).toBe(200);
  });

  it('does not follow a symlink out of the renderer folder', async () => {
    const root = join(temp.dir, 'renderer');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1);');
    const secrets = join(temp.dir, 'secrets');
    mkdirSync(secrets);
    writeFileSync(join(secrets, 'key.txt'), 'private key');
    symlinkSync(join(secrets, 'key.txt'), join(root, 'key.txt'));
    symlinkSync(secrets, join(root, 'linked'));
    symlinkSync(join(root, 'assets', 'app.js'), join(root, 'alias.js'));
    const bus = new EventBus();
    const statics = await startServer({ handlers: service.handlers, bus, staticDir: root, port: 0 });
    try {
      const get = async (path: string) => {
        const response = await fetch(`http://127.0.0.1:${statics.port}${path}`);
        return { status: response.status, text: await response.text() };
      };
      expect(await get('/')).toMatchObject({ status: 200, text: expect.stringContaining('<title>app') });
      expect(await get('/assets/app.js')).toMatchObject({ status: 200 });
      // a link that stays inside the folder is served
      expect(await get('/alias.js')).toMatchObject({ status: 200, text: 'console.log(1);' });
      for (const path of ['/key.txt', '/linked/key.txt']) {
        const { status, text } = await get(path);
        expect(status).toBe(404);
        expect(text).not.toContain('private key');
      }
    } finally {
      await statics.close();
    }
  });

  it('refuses a WebSocket from a foreign Origin even with the token, and accepts its own origin', async () => {
    const open = (origin: string | undefined): Promise<number> => {
      const ws = new WebSocket(
        `ws://127.0.0.1:${server.port}/events?token=${server.token}`,
        origin === undefined ? {} : { origin },
      );
      return new Promise<number>((resolve) => {
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('error', () => resolve(-1));
      });
    };
    expect(await open('http://evil.example')).toBe(403);
    expect(await open(`http://127.0.0.1:${server.port + 1}`)).toBe(403);
    expect(await open('null')).toBe(403);
    expect(await open(`http://127.0.0.1:${server.port}`)).toBe(101);
    expect(await open(`http://localhost:${server.port}`)).toBe(101);
    expect(await open(undefined)).toBe(101);
  });
});
