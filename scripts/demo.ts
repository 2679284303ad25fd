/**
 * The demo: runs the objective-isolation protocol of resources/experiments/demo.json into a database,
 * with the `deltascope run` progress bar, runs the known-answer checks on every replication, then
 * writes the HTML report (and CSV tables) next to the database and prints where it is, the wall time
 * and the MA / MB success figures.
 *
 *   npm run demo [-- --db ./demo.deltascope] [-- --jobs 2]
 *
 * Training runs in worker processes of the built CLI (out/main/cli.cjs, so `npm run build:main`
 * first); re-running continues an interrupted demo (`run --resume`) and a finished one only
 * rewrites the report.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  knownAnswerChecksLine,
  runKnownAnswerChecksOnEveryReplication,
} from '../src-main/api/protocol/protocol-checks';
import { writeProtocolReport } from '../src-main/api/protocol/protocol-report-writer';
import { readNodeStates, loadProtocol } from '../src-main/jobs/protocol/protocol-store';
import { formatInterval } from '../src-main/protocol';
import { openDatabase } from '../src-main/store';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const presetPath = path.join(root, 'resources', 'experiments', 'demo.json');
const cli = path.join(root, 'out', 'main', 'cli.cjs');

function fail(message: string): never {
  process.stderr.write(`demo: ${message}\n`);
  process.exit(1);
}

function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** The experiment of the demo's name in `dbPath`, with whether every node is done. */
function existingExperiment(dbPath: string, name: string): { id: number; complete: boolean } | null {
  if (!existsSync(dbPath)) return null;
  const db = openDatabase(dbPath);
  try {
    const experiment = db.experiments.list().find((e) => e.name === name);
    if (experiment === undefined) return null;
    const { graph } = loadProtocol(db, experiment.id);
    const states = readNodeStates(db, experiment.id);
    const done = [...states.values()].filter((s) => s.status === 'done').length;
    return { id: experiment.id, complete: done === graph.nodes.length };
  } finally {
    db.close();
  }
}

function main(): void {
  const { values } = parseArgs({
    options: {
      db: { type: 'string', default: './demo.deltascope' },
      jobs: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write('Usage: npm run demo [-- --db <file.deltascope>] [-- --jobs <n>]\n');
    return;
  }
  if (!existsSync(cli)) fail(`${cli} is missing: run \`npm run build:main\` first.`);
  const dbPath = path.resolve(values.db);
  const spec = JSON.parse(readFileSync(presetPath, 'utf8')) as { name?: string };
  const name = spec.name ?? 'objective-isolation';
  const started = Date.now();

  const before = existingExperiment(dbPath, name);
  const jobs = values.jobs === undefined ? [] : ['--jobs', values.jobs];
  if (before?.complete) {
    process.stdout.write(
      `Experiment #${before.id} "${name}" in ${dbPath} is already complete; rewriting its report.\n`,
    );
  } else {
    const args =
      before === null
        ? [cli, 'run', presetPath, '--db', dbPath, ...jobs]
        : [cli, 'run', '--resume', String(before.id), '--db', dbPath, ...jobs];
    process.stdout.write(
      `${before === null ? 'Running' : 'Continuing'} ${path.relative(root, presetPath)} → ${dbPath}\n`,
    );
    const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
    if (result.status !== 0)
      fail(
        `deltascope run ended with code ${result.status ?? result.signal}; re-run \`npm run demo\` to continue.`,
      );
  }
  const runSeconds = (Date.now() - started) / 1000;

  const experiment = existingExperiment(dbPath, name);
  if (experiment === null) fail(`no experiment "${name}" in ${dbPath}`);
  const htmlPath = path.join(
    path.dirname(dbPath),
    `${path.basename(dbPath, path.extname(dbPath))}-report.html`,
  );
  const db = openDatabase(dbPath);
  try {
    // The known-answer checks on every replication (a few seconds), so the report answers all four questions.
    runKnownAnswerChecksOnEveryReplication(db, experiment.id, (...heard) =>
      process.stdout.write(`${knownAnswerChecksLine(...heard)}\n`),
    );
    const { report, csvPaths } = writeProtocolReport(db, experiment.id, htmlPath, { overwrite: true });
    process.stdout.write(`\nReport: ${htmlPath}\n`);
    for (const csv of csvPaths) process.stdout.write(`  table: ${csv}\n`);
    process.stdout.write(`Wall time of the run: ${formatSeconds(runSeconds)}\n`);
    for (const seed of report.seeds) {
      for (const figure of seed.success.filter((f) => !f.subject.startsWith('MA on'))) {
        process.stdout.write(
          `  seed ${seed.seed}: ${figure.subject.padEnd(14)} success on ${figure.reward.padEnd(8)} ${formatInterval(figure.success, { percent: true })}\n`,
        );
      }
    }
  } finally {
    db.close();
  }
}

main();
