import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import type { ExperimentSpecInput } from '../../../src-main/shared/experiment-spec';
import { tinyExperiment } from '../jobs/protocol-test-helpers';

const root = resolve('.');

export function writeSpec(dir: string, name: string, overrides: Partial<ExperimentSpecInput> = {}): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(tinyExperiment({ name, ...overrides })));
  return file;
}

function readOnly<T>(file: string, read: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/**
 * sha256 of each run's checkpoints at its last step, by run name (ids differ between runners; names do
 * not): one hash for a training run; for the run that holds the derived checkpoints (all at MA's step)
 * every one of them, sorted — its checkpoints are made by different tasks, so their id order is not
 * the single-process order.
 */
export function finalHashesByRun(file: string): Record<string, string> {
  const rows = readOnly(
    file,
    (db) =>
      db
        .prepare(
          `SELECT r.name AS name, c.sha256 AS sha FROM checkpoints c JOIN runs r ON r.id = c.run_id
           WHERE c.step = (SELECT max(step) FROM checkpoints WHERE run_id = r.id) ORDER BY r.name, c.sha256`,
        )
        .all() as { name: string; sha: string }[],
  );
  const byRun: Record<string, string> = {};
  for (const row of rows)
    byRun[row.name] = byRun[row.name] === undefined ? row.sha : `${byRun[row.name]},${row.sha}`;
  return byRun;
}

/** Every run's name, sorted, duplicates kept: the run tree the app shows. */
export function runNames(file: string): string[] {
  return readOnly(file, (db) =>
    (db.prepare('SELECT name FROM runs ORDER BY name').all() as { name: string }[]).map((r) => r.name),
  );
}

/** Everything two runs of the same seeds must share: checkpoints (id, hash), analyses, maps, metrics but timings. */
export function deterministicContent(file: string): {
  checkpoints: string[];
  artifacts: string[];
  metrics: number;
} {
  return readOnly(file, (db) => ({
    checkpoints: (
      db.prepare('SELECT id, sha256 FROM checkpoints ORDER BY id').all() as { id: number; sha256: string }[]
    ).map((row) => `${row.id}:${row.sha256}`),
    artifacts: (
      db
        .prepare(
          `SELECT id, kind, recipe, hex(data) AS data FROM artifacts
           WHERE kind NOT IN ('protocol-node', 'evaluation') ORDER BY id`,
        )
        .all() as { id: number; kind: string; recipe: string; data: string }[]
    ).map((row) => `${row.id} ${row.kind} ${row.recipe} ${row.data}`),
    metrics: (
      db
        .prepare(
          `SELECT count(*) AS n FROM metrics WHERE key NOT LIKE '%per_second%' AND key NOT LIKE '%time%'`,
        )
        .get() as { n: number }
    ).n,
  }));
}

export function countDoneNodes(file: string): number {
  return readOnly(file, (db) => {
    const rows = db
      .prepare("SELECT manifest FROM artifacts WHERE kind = 'protocol-node' ORDER BY id")
      .all() as {
      manifest: string;
    }[];
    const latest = new Map<string, string>();
    for (const row of rows) {
      const state = JSON.parse(row.manifest) as { nodeId: string; status: string };
      latest.set(state.nodeId, state.status);
    }
    return [...latest.values()].filter((status) => status === 'done').length;
  });
}

export function expectSameDeterministicContent(a: string, b: string): void {
  const left = deterministicContent(a);
  const right = deterministicContent(b);
  expect(left.checkpoints.length).toBeGreaterThan(10);
  expect(right.checkpoints).toEqual(left.checkpoints);
  expect(right.artifacts.length).toBeGreaterThan(5);
  expect(right.artifacts).toEqual(left.artifacts);
  expect(right.metrics).toBe(left.metrics);
}

/** Polls `until` every 250 ms; fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  until: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  timeoutMs = 90_000,
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await until();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Starts the one-node Slurm cluster (scripts/slurm-local.sh); throws one line saying why it cannot. */
export function startLocalSlurm(): void {
  const result = spawnSync('bash', [join(root, 'scripts/slurm-local.sh'), 'start'], { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(
      `These tests need a local Slurm (root, apt-get install -y slurm-wlm munge): scripts/slurm-local.sh start failed: ${(result.stderr || String(result.error)).trim()}`,
    );
  }
}

/** Checkpoints stored in a task file so far (0 while it does not exist or is busy). */
export function checkpointCount(file: string): number {
  try {
    return readOnly(
      file,
      (db) => (db.prepare('SELECT count(*) AS n FROM checkpoints').get() as { n: number }).n,
    );
  } catch {
    return 0;
  }
}
