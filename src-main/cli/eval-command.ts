import { readFileSync } from 'node:fs';
import { runEvaluation } from '../api/evaluation/evaluation-handlers';
import { evaluationMethods, type EvaluationRecord } from '../shared/contract-evaluation';
import { describeIssues } from '../shared/validate';
import { openDatabase } from '../store';
import { jsonSyntaxProblem } from '../weights';
import { UsageError } from './command';
import { defineCommand } from './define-command';

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UsageError(`--${name} must be an integer; got "${value}"`);
  return n;
}

function readSetup(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  const text = value.trimStart().startsWith('{') ? value : readFileSync(value, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`--setup is not valid JSON: ${jsonSyntaxProblem(error, text)}`);
  }
}

const pct = (x: number): string => x.toFixed(2);
const num = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(3));

/** Left-aligned text table. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, c) => cell.padEnd(widths[c] as number))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

export function formatEvaluation(record: EvaluationRecord): string[] {
  const r = record.result;
  const ci = `${Math.round(r.confidence * 100)}% CI`;
  const lines = [
    `checkpoint ${record.checkpointId} "${record.checkpointLabel}" (run ${record.runId}, step ${record.checkpointStep})`,
    `${r.episodes} episodes, ${r.policy} policy, seed ${r.seed} (held-out env seed 2^48+${r.seed}), ${r.numEnvs} envs, ` +
      `mean length ${r.meanLength.toFixed(1)}`,
    `backend ${record.backend}, ${record.elapsedSeconds.toFixed(2)} s (${record.episodesPerSecond.toFixed(0)} episodes/s)` +
      (record.id === null ? ', not saved' : `, saved as evaluation ${record.id}`),
    '',
    ...table(
      ['reward', `mean return [${ci}]`, `success [${ci}]`],
      r.rewards.map((reward) => [
        reward.name + (reward.name === r.trainReward ? ' (trained)' : ''),
        `${num(reward.meanReturn.estimate)} [${num(reward.meanReturn.low)}, ${num(reward.meanReturn.high)}]`,
        `${pct(reward.success.estimate)} [${pct(reward.success.low)}, ${pct(reward.success.high)}]`,
      ]),
    ),
    '',
    ...table(
      ['kind', `P(collect) [${ci}]`, 'mean steps to collect'],
      r.kinds.map((kind) => [
        kind.kind,
        `${pct(kind.collectRate.estimate)} [${pct(kind.collectRate.low)}, ${pct(kind.collectRate.high)}]`,
        kind.meanStepsToCollect === null ? '—' : kind.meanStepsToCollect.toFixed(1),
      ]),
    ),
  ];
  return lines;
}

export const evalCommand = defineCommand({
  name: 'eval',
  summary: 'evaluate a checkpoint on held-out mazes',
  usage: 'eval <checkpointId> --db <file.deltascope> [options]',
  description: `Evaluates a stored checkpoint on held-out mazes (env seed 2^48 + seed, never a
training seed) under every reward of its environment: mean return with a
percentile-bootstrap CI, success and P(collect kind) with Wilson CIs, mean steps
to collection. The result is saved in the database as an "evaluation" artifact.`,
  options: {
    db: {
      type: 'string',
      value: '<file>',
      required: 'eval needs --db <file.deltascope>.',
      help: 'the database holding the checkpoint (required)',
    },
    episodes: { type: 'string', value: '<n>', help: 'episodes to play (default 200)' },
    policy: {
      type: 'string',
      value: '<p>',
      help: 'greedy (most probable action) or sampled (default greedy)',
    },
    seed: {
      type: 'string',
      value: '<n>',
      help: 'held-out maze stream, action sampling and bootstrap seed (default 0)',
    },
    'num-envs': { type: 'string', value: '<n>', help: 'environments run in parallel (default 128)' },
    resamples: { type: 'string', value: '<n>', help: 'bootstrap resamples (default 1000)' },
    setup: {
      type: 'string',
      value: '<json|file>',
      help: `env/rewards/net for runs whose config lacks them, e.g.
'{"env":{"size":7},"rewards":[{"name":"RA","collect":{"cheese":1}}]}'`,
    },
    'no-save': { type: 'boolean', help: 'do not store the result in the database' },
    json: { type: 'boolean', help: 'print the evaluation record as JSON' },
  },
  args: { count: 1, message: 'eval needs exactly one checkpoint id.' },
  async run({ values, positionals }, io) {
    const parsed = evaluationMethods['eval.run'].request.safeParse({
      checkpointId: integer(positionals[0], 'checkpointId'),
      episodes: integer(values.episodes, 'episodes'),
      policy: values.policy,
      seed: integer(values.seed, 'seed'),
      numEnvs: integer(values['num-envs'], 'num-envs'),
      bootstrapResamples: integer(values.resamples, 'resamples'),
      setup: readSetup(values.setup),
      save: values['no-save'] !== true,
    });
    if (!parsed.success) throw new UsageError(describeIssues(parsed.error, 'eval'));
    const db = openDatabase(values.db);
    try {
      const record = await runEvaluation(db, parsed.data);
      if (values.json) io.out(JSON.stringify(record, null, 2));
      else formatEvaluation(record).forEach((line) => io.out(line));
      return 0;
    } finally {
      db.close();
    }
  },
});
