import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createProtocolExperiment } from '../../../src-main/jobs/protocol/protocol-store';
import { createDatabase, openDatabase } from '../../../src-main/store';
import { ensureFreshBundle } from '../../helpers/fresh-bundle';
import { makeTempDir } from '../../helpers/temp-dir';
import { seedTrainingNodes, tinyExperiment } from '../jobs/protocol-test-helpers';

const temp = makeTempDir('cli-serve');
const serveEntry = join(resolve('.'), 'out/main/serve.cjs');

beforeAll(async () => {
  await ensureFreshBundle(['serve.cjs', 'protocol-worker.cjs', 'compute-worker.cjs']);
}, 120_000);
afterAll(() => temp.cleanup());

/** Runs `serve --db <db> --port 0` until it says it is serving (or exits); returns its output and exit code. */
function serveUntilReady(db: string): Promise<{ output: string; code: number | null }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [serveEntry, '--db', db, '--port', '0'], {
      env: { ...process.env, DELTASCOPE_HOME: temp.dir },
    });
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('is serving')) child.kill('SIGTERM');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => resolvePromise({ output, code }));
  });
}

describe('deltascope serve --db', () => {
  it('creates a new database when the file does not exist yet, and says so', async () => {
    const db = join(temp.dir, 'new-runs.deltascope');
    const { output } = await serveUntilReady(db);
    expect(output).toContain(`Created a new database: ${db}`);
    expect(output).toMatch(/is serving http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    expect(existsSync(db)).toBe(true);
    const opened = openDatabase(db);
    try {
      expect(opened.info(false).counts.runs).toBe(0);
    } finally {
      opened.close();
    }
  }, 60_000);

  it('refuses an existing file that is not a database and leaves it untouched', async () => {
    const notes = join(temp.dir, 'notes.deltascope');
    writeFileSync(notes, 'These are notes, not a database.\n');
    const { output, code } = await serveUntilReady(notes);
    expect(code).not.toBe(0);
    expect(output).not.toContain('is serving');
    expect(output).toContain(notes);
    expect(readFileSync(notes, 'utf8')).toBe('These are notes, not a database.\n');
    expect(existsSync(`${notes}-wal`)).toBe(false);
  }, 60_000);
});

describe('deltascope serve during a long evaluation', () => {
  it('answers app.info within 100 ms while a protocol evaluates, and SIGTERM ends it within a second', async () => {
    const db = join(temp.dir, 'long-eval.deltascope');
    const created = createDatabase(db);
    const { experimentId } = createProtocolExperiment(
      created,
      tinyExperiment({ name: 'serve-long-eval', evalEpisodes: 100_000, bootstrapResamples: 100_000 }),
    );
    created.close();
    await seedTrainingNodes(db, experimentId);

    const child = spawn(process.execPath, [serveEntry, '--db', db, '--port', '0'], {
      env: { ...process.env, DELTASCOPE_HOME: temp.dir },
    });
    const exited = new Promise<number | null>((resolvePromise) => child.on('exit', resolvePromise));
    try {
      let output = '';
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const url = await new Promise<URL>((resolvePromise, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const match = /is serving (http:\/\/\S+)/.exec(output);
          if (match) resolvePromise(new URL(match[1]!));
        });
        void exited.then(() => reject(new Error(`serve exited early: ${output}`)));
      });
      const token = url.searchParams.get('token')!;
      const call = async (method: string, params: unknown) => {
        const response = await fetch(new URL('/api/call', url), {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ method, params }),
        });
        return (await response.json()) as { ok: boolean; result?: unknown };
      };

      // Watch the events until the evaluation reports played episodes.
      const ws = new WebSocket(`ws://${url.host}/events?token=${token}`);
      const evaluating = new Promise<void>((resolvePromise) =>
        ws.on('message', (data) => {
          const event = JSON.parse(String(data)) as {
            event: string;
            payload: { latest?: Record<string, number> };
          };
          if (event.event === 'job.progress' && (event.payload.latest?.['protocol/node-done'] ?? 0) > 0)
            resolvePromise();
        }),
      );
      await new Promise((resolvePromise) => ws.on('open', resolvePromise));
      expect(await call('protocol.resume', { experimentId })).toMatchObject({ ok: true });
      await evaluating;
      ws.close();

      // The machine is shared: the median of several calls within 100 ms, none near a second.
      const times: number[] = [];
      for (let i = 0; i < 7; i++) {
        await new Promise((resolvePromise) => setTimeout(resolvePromise, 30));
        const started = performance.now();
        expect(await call('app.info', {})).toMatchObject({ ok: true });
        times.push(performance.now() - started);
      }
      expect([...times].sort((a, b) => a - b)[3]).toBeLessThan(100);
      expect(Math.max(...times)).toBeLessThan(1000);

      const terminating = performance.now();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(performance.now() - terminating).toBeLessThan(1000);
    } finally {
      child.kill('SIGKILL');
    }
  }, 180_000);
});
