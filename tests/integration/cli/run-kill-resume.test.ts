import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProtocolExperiment, loadProtocol } from '../../../src-main/jobs/protocol/protocol-store';
import { PROTOCOL_ARTIFACT_KINDS } from '../../../src-main/protocol';
import { decodeArtifact } from '../../../src-main/shared';
import { createDatabase, openDatabase } from '../../../src-main/store';
import { watchChild } from '../../helpers/child-output';
import { ensureFreshBundle } from '../../helpers/fresh-bundle';
import { makeTempDir } from '../../helpers/temp-dir';
import { integrityCheck } from '../jobs/jobs-test-helpers';
import { seedTrainingNodes, tinyExperiment } from '../jobs/protocol-test-helpers';

const execFileAsync = promisify(execFile);
const root = resolve('.');
const bin = join(root, 'bin/deltascope.cjs');
const temp = makeTempDir('cli-run-kill');

// The CLI runs the bundle in out/main; rebuild it when the sources are newer.
beforeAll(async () => {
  await ensureFreshBundle(['cli.cjs', 'worker.cjs', 'protocol-worker.cjs']);
}, 120_000);
afterAll(() => temp.cleanup());

/** Protocol-node states written so far, read without a write lock (the CLI may be writing). */
function doneNodeCount(dbPath: string): number {
  try {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      const row = db
        .prepare('SELECT COUNT(*) AS n FROM artifacts WHERE kind = ?')
        .get(PROTOCOL_ARTIFACT_KINDS.node) as { n: number };
      return row.n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not created yet, or busy
  }
}

describe('deltascope run, killed mid-graph', () => {
  it('resumes after SIGKILL of the CLI and its workers without redoing done nodes', async () => {
    const dbPath = join(temp.dir, 'killed.deltascope');
    const specPath = join(temp.dir, 'kill.json');
    writeFileSync(
      specPath,
      JSON.stringify(
        tinyExperiment({
          name: 'cli-kill',
          rbs: [{ name: 'coin', collect: { coin: 1 } }],
          // Two null controls: the superposition's variance ratio is defined.
          nullControls: 2,
          aggregators: ['mean'],
          alphas: [1],
          // Long enough that the fine-tunes are still training when the first nodes are done.
          finetuneSteps: 8192,
        }),
      ),
    );
    const env = { ...process.env, DELTASCOPE_HOME: temp.dir };
    const child = spawn(process.execPath, [bin, 'run', specPath, '--db', dbPath], {
      cwd: root,
      env,
      detached: true,
      stdio: 'ignore',
    });
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    let exitedEarly = false;
    void exited.then(() => (exitedEarly = true));
    while (!exitedEarly && doneNodeCount(dbPath) < 2) {
      await new Promise((wait) => setTimeout(wait, 100));
    }
    expect(exitedEarly, 'the run finished before it could be killed').toBe(false);
    process.kill(-child.pid!, 'SIGKILL');
    await exited;

    expect(integrityCheck(dbPath)).toBe('ok');
    const before = openDatabase(dbPath);
    const doneBefore = new Set(
      before.artifacts
        .list(1)
        .filter((a) => a.kind === PROTOCOL_ARTIFACT_KINDS.node)
        .map((a) => a.name),
    );
    const { graph } = loadProtocol(before, 1);
    const interrupted = before.runs
      .listByExperiment(1)
      .filter((run) => run.status !== 'done')
      .map((run) => run.name);
    before.close();
    // The kill caught at least one training run mid-way (the resume must continue it).
    expect(interrupted.length).toBeGreaterThan(0);
    expect(doneBefore.size).toBeGreaterThanOrEqual(2);
    expect(doneBefore.size).toBeLessThan(graph.nodes.length);

    const { stdout } = await execFileAsync(process.execPath, [bin, 'run', '--resume', '1', '--db', dbPath], {
      cwd: root,
      env,
    });
    expect(stdout).toMatch(/Done: experiment #1/);

    const db = openDatabase(dbPath);
    try {
      const artifacts = db.artifacts.list(1);
      const states = artifacts.filter((a) => a.kind === PROTOCOL_ARTIFACT_KINDS.node);
      const perNode = new Map<string, number>();
      for (const state of states) perNode.set(state.name, (perNode.get(state.name) ?? 0) + 1);
      // Every node done exactly once: nothing done before the kill was redone.
      expect([...perNode.values()].every((n) => n === 1)).toBe(true);
      expect(perNode.size).toBe(graph.nodes.length);
      for (const nodeId of doneBefore) expect(perNode.get(nodeId)).toBe(1);

      const runs = db.runs.listByExperiment(1);
      const trainNodes = graph.nodes.filter((node) => node.params.kind === 'train').map((node) => node.id);
      // One run per training node: the interrupted ones were continued, not started again.
      for (const nodeId of trainNodes) {
        const named = runs.filter((run) => run.name === nodeId);
        expect(
          named.map((run) => run.status),
          nodeId,
        ).toEqual(['done']);
      }

      const kinds = new Set(artifacts.map((a) => a.kind));
      for (const kind of [
        PROTOCOL_ARTIFACT_KINDS.updateSignals,
        PROTOCOL_ARTIFACT_KINDS.negation,
        PROTOCOL_ARTIFACT_KINDS.superposition,
      ]) {
        expect(kinds.has(kind), kind).toBe(true);
      }
      const superposition = artifacts.find((a) => a.kind === PROTOCOL_ARTIFACT_KINDS.superposition)!;
      const { varianceRatio } = decodeArtifact(
        PROTOCOL_ARTIFACT_KINDS.superposition,
        db.artifacts.get(superposition.id),
      ).data;
      // One fine-tune of coin and 2 nulls: 1 within-objective degree of freedom, so not computed.
      expect(varianceRatio?.status).toBe('skipped');
      expect(varianceRatio?.groups).toEqual([
        { label: 'coin', size: 1 },
        { label: 'RA', size: 2 },
      ]);
      expect(varianceRatio?.status === 'skipped' && varianceRatio.reason).toContain('≥ 3 null controls');
    } finally {
      db.close();
    }
    expect(integrityCheck(dbPath)).toBe('ok');
  }, 300_000);
});

describe('deltascope run during a long evaluation', () => {
  it('shows the evaluation progress and stops within a second on SIGTERM', async () => {
    const dbPath = join(temp.dir, 'long-eval.deltascope');
    const created = createDatabase(dbPath);
    const { experimentId } = createProtocolExperiment(
      created,
      tinyExperiment({ name: 'cli-long-eval', evalEpisodes: 100_000, bootstrapResamples: 100_000 }),
    );
    created.close();
    await seedTrainingNodes(dbPath, experimentId);

    const child = spawn(process.execPath, [bin, 'run', '--resume', String(experimentId), '--db', dbPath]);
    const watched = watchChild(child);
    try {
      // A plain progress line every 2 s, with the running evaluation's episodes.
      await watched.waitFor(/node [1-9]\d*\/100000/, 'progress line with the evaluation episodes', 60_000);
      const terminating = performance.now();
      child.kill('SIGTERM');
      expect(await watched.exit(10_000)).toBe(130);
      expect(performance.now() - terminating, watched.output()).toBeLessThan(1000);
      expect(watched.output()).toContain(`Continue with: deltascope run --resume ${experimentId}`);
    } finally {
      child.kill('SIGKILL');
    }
  }, 90_000);
});
