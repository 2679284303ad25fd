import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../../src-main/api';
import {
  MergeSummarySchema,
  WorkdirStatusSchema,
  type CallResult,
  type EventPayload,
  type ExperimentNode,
  type WorkdirStatus,
} from '../../../src-main/shared';
import { ensureFreshBundle } from '../../helpers/fresh-bundle';
import { useApiService } from '../../helpers/api-service';
import { deltascopeProcess } from '../../helpers/run-cli';
import { finalHashesByRun, writeSpec } from './cluster-helpers';

/**
 * The app's side of a work folder (issue 13 item 7): `cluster.status` reads it without writing, and
 * `cluster.merge` makes a database the app then opens like a local run — never the open one.
 */

const api = useApiService(
  'cluster-api',
  async () => {
    await ensureFreshBundle(['cli.cjs', 'worker.cjs']);
    return {};
  },
  120_000,
);

async function call(method: string, params: unknown): Promise<CallResult> {
  return dispatch(api.service.handlers, method, params);
}

const ok = api.call;
/** The built `deltascope` command, its app data in the test's folder (open only once the tests run). */
const cli = (...args: string[]) => deltascopeProcess({ home: api.dir })(...args);

/** sha256 and mtime of every file under `dir`: what "read-only" must leave alone. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    const hash = createHash('sha256').update(readFileSync(file)).digest('hex');
    out[file] = `${hash} ${statSync(file).mtimeMs}`;
  }
  return out;
}

describe('a work folder in the app', { timeout: 600_000 }, () => {
  const planned = join(api.dir, 'planned');
  const cliMerged = join(api.dir, 'cli-merged.deltascope');

  it('shows a planned folder read-only: every task not yet submitted, stages named by what they do', async () => {
    const spec = writeSpec(api.dir, 'api-planned');
    const plan = await cli(
      'run',
      spec,
      '--db',
      join(api.dir, 'planned.deltascope'),
      '--on',
      'slurm',
      '--workdir',
      planned,
      '--dry-run',
    );
    expect(plan.code).toBe(0);
    const before = snapshot(planned);
    const status = WorkdirStatusSchema.parse(await ok('cluster.status', { workdir: planned }));
    expect(snapshot(planned)).toEqual(before);
    expect(status.experimentName).toBe('api-planned');
    expect(status.complete).toBe(false);
    expect(status.tasks.length).toBeGreaterThan(10);
    expect(new Set(status.tasks.map((task) => task.status))).toEqual(new Set(['not-submitted']));
    expect(status.stages[0]!.label).toContain('pretrain');
    expect(status.stages.reduce((sum, stage) => sum + stage.counts['not-submitted']!, 0)).toBe(
      status.tasks.length,
    );
    expect(status.etaSeconds).toBeNull();
  });

  it('names a folder that is not a work folder', async () => {
    const empty = join(api.dir, 'empty');
    mkdirSync(empty);
    const result = await call('cluster.status', { workdir: empty });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('FILE_NOT_FOUND');
      expect(result.error.message).toContain(empty);
      expect(result.error.message).toMatch(/not a Deltascope work folder/);
    }
  });

  it('once a task is done: merged into a new file that opens like a local run — never into the open database', async () => {
    // Array element 0 (the first pretraining) finishes; the rest of the plan is still to run.
    expect((await cli('task', planned, '0')).code).toBe(0);
    const status: WorkdirStatus = WorkdirStatusSchema.parse(await ok('cluster.status', { workdir: planned }));
    expect(status.tasks.filter((task) => task.status === 'done').map((task) => task.index)).toEqual([0]);
    expect(status.stages[0]!.counts.done).toBe(1);
    expect(status.complete).toBe(false);

    // The open database is refused, untouched.
    const open = join(api.dir, 'open.deltascope');
    await ok('db.create', { path: open });
    const openBefore = readFileSync(open);
    const refused = await call('cluster.merge', { workdir: planned, into: open });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.message).toMatch(/open database/);
    expect(readFileSync(open).equals(openBefore)).toBe(true);

    // A wrong extension is refused before any work.
    const wrong = await call('cluster.merge', { workdir: planned, into: join(api.dir, 'merged.txt') });
    expect(wrong.ok).toBe(false);
    expect(existsSync(join(api.dir, 'merged.txt'))).toBe(false);

    const from = api.events.length;
    const target = join(api.dir, 'app-merged.deltascope');
    const summary = MergeSummarySchema.parse(
      await ok('cluster.merge', { workdir: planned, into: target, jobId: 'merge-test' }),
    );
    expect(summary.merged).toEqual([0]);
    expect(summary.missing.length).toBe(status.tasks.length - 1);
    const progress = api.events
      .slice(from)
      .filter((event) => event.event === 'job.progress')
      .map((event) => event.payload as EventPayload<'job.progress'>);
    expect(progress.at(-1)).toMatchObject({ jobId: 'merge-test', unit: 'tasks', done: 1, total: 1 });

    // The same rows as the CLI's merge of the folder, and the app opens it.
    expect((await cli('merge', planned, '--into', cliMerged)).code).toBe(0);
    const hashes = finalHashesByRun(target);
    expect(Object.keys(hashes)).toEqual(['s1/pretrain']);
    expect(hashes).toEqual(finalHashesByRun(cliMerged));
    await ok('db.open', { path: target });
    const tree = await ok<ExperimentNode[]>('runs.tree', {});
    expect(tree.map((experiment) => experiment.name)).toEqual(['api-planned']);
    expect(tree[0]!.runs.map((run) => run.name)).toContain('s1/pretrain');

    // Merging into it now that it is open is refused too.
    const again = await call('cluster.merge', { workdir: planned, into: target });
    expect(again.ok).toBe(false);
  });
});
