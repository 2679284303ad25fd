/**
 * Cluster figures of an experiment run as tasks (issue 13's speed report). Prints, from a finished
 * work folder (`deltascope run … --on local|slurm --workdir w`):
 * - the number of tasks (array elements) and stages;
 * - each task's measured time and its process start-up (from the "done in … (process up …)" log lines);
 * - the projected wall time on 1, 8 and 64 nodes (list scheduling with the graph's dependencies, plus
 *   a scheduler overhead per task) and the critical path;
 * - with --project <spec.json>: the same projection for another spec, each of its tasks' time estimated
 *   from the measured seconds per unit of cost (env steps) of the same kind of task.
 *
 *   npx tsx scripts/bench-cluster.ts --workdir w [--overhead 0.5] [--project resources/experiments/research.json]
 *
 * --overhead: seconds from submission to start of an array element (measure: `--measure-slurm`, which
 * submits a 16-element array of `true` to the running Slurm and reads when each element started).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { planTasks, type ClusterPlan } from '../src-main/cluster/plan';
import { projectWallTime, type Waits } from '../src-main/cluster/projection';
import { readPlan } from '../src-main/cluster/workdir';
import { parseExperimentSpec } from '../src-main/jobs/protocol/protocol-store';
import { buildJobGraph } from '../src-main/protocol';

const { values } = parseArgs({
  options: {
    workdir: { type: 'string' },
    overhead: { type: 'string', default: '0.5' },
    project: { type: 'string', multiple: true },
    'measure-slurm': { type: 'boolean' },
  },
});

function measureSlurmOverhead(): number {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-slurm-'));
  const submitted = Date.now() / 1000;
  const job = execFileSync(
    'sbatch',
    ['--parsable', '--array=0-15', '--cpus-per-task=1', `--output=${dir}/%a.log`, '--wrap', 'date +%s.%N'],
    { encoding: 'utf8' },
  ).trim();
  for (let i = 0; i < 600; i++) {
    if (
      readdirSync(dir).length === 16 &&
      readdirSync(dir).every((f) => readFileSync(path.join(dir, f), 'utf8').trim() !== '')
    )
      break;
    execFileSync('sleep', ['0.1']);
  }
  const starts = readdirSync(dir).map((f) => Number(readFileSync(path.join(dir, f), 'utf8').trim()));
  const delays = starts.map((s) => s - submitted).sort((a, b) => a - b);
  console.log(
    `Slurm job ${job}: 16 array elements of \`true\` started ${delays[0]!.toFixed(2)}–${delays.at(-1)!.toFixed(2)} s after submission (median ${delays[8]!.toFixed(2)} s) on this 2-CPU node`,
  );
  return delays[0]!;
}

interface Measured {
  seconds: number;
  startup: number;
}

function measuredTimes(workdir: string, plan: ClusterPlan): Measured[] {
  const logs = readdirSync(path.join(workdir, 'logs'));
  return plan.tasks.map((task) => {
    const file = logs.find((f) => f === `local_${task.index}.log` || f.endsWith(`_${task.index}.log`));
    const text = file === undefined ? '' : readFileSync(path.join(workdir, 'logs', file), 'utf8');
    const match = [...text.matchAll(/done in ([\d.]+) s \(process up ([\d.]+) s\)/g)].at(-1);
    if (match === undefined) throw new Error(`task ${task.index} has no "done in" line in its log`);
    return { seconds: Number(match[2]), startup: Number(match[2]) - Number(match[1]) };
  });
}

function kindOf(plan: ClusterPlan, index: number, graphKinds: Map<string, string>): string {
  return graphKinds.get(plan.tasks[index]!.nodes[0]!) ?? 'other';
}

function printProjection(label: string, plan: ClusterPlan, seconds: number[], overhead: number): void {
  const total = seconds.reduce((a, b) => a + b, 0);
  console.log(
    `\n${label}: ${plan.tasks.length} tasks (array elements) in ${plan.stages.length} stages; ${formatSeconds(total)} of task time`,
  );
  const executors: [Waits, string][] = [
    ['stages', 'on Slurm (one array per stage, afterok on the whole stage before)'],
    ['tasks', 'if each task waited only on its inputs (as --on local does)'],
  ];
  for (const [waits, what] of executors) {
    console.log(`  ${what}:`);
    const one = projectWallTime(plan, seconds, 1, overhead, waits);
    for (const nodes of [1, 8, 64]) {
      const p = projectWallTime(plan, seconds, nodes, overhead, waits);
      console.log(
        `    ${String(nodes).padStart(2)} node(s): ${formatSeconds(p.wallSeconds).padStart(9)}  (${(one.wallSeconds / p.wallSeconds).toFixed(1)}× faster than 1 node)`,
      );
    }
    console.log(
      `    critical path: ${formatSeconds(one.criticalPathSeconds)} = 1/${(one.wallSeconds / one.criticalPathSeconds).toFixed(1)} of one node's time`,
    );
  }
}

function formatSeconds(s: number): string {
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(2)} h`;
}

const overhead = values['measure-slurm'] === true ? measureSlurmOverhead() : Number(values.overhead);
if (values.workdir === undefined || !existsSync(values.workdir))
  throw new Error('--workdir <finished work folder> is needed');
const plan = readPlan(values.workdir);
const measured = measuredTimes(values.workdir, plan);
const spec = parseExperimentSpec(JSON.parse(readFileSync(path.join(values.workdir, 'spec.json'), 'utf8')));
const graph = buildJobGraph(spec);
const kinds = new Map(graph.nodes.map((node) => [node.id, node.params.kind]));
const startups = measured.map((m) => m.startup).sort((a, b) => a - b);
console.log(`Measured ${plan.tasks.length} tasks of "${plan.experimentName}" in ${values.workdir}`);
console.log(
  `  process start-up before the task's work: median ${startups[Math.floor(startups.length / 2)]!.toFixed(2)} s (min ${startups[0]!.toFixed(2)}, max ${startups.at(-1)!.toFixed(2)})`,
);
console.log(`  scheduler overhead per task used below: ${overhead.toFixed(2)} s`);
printProjection(
  `"${plan.experimentName}" (measured)`,
  plan,
  measured.map((m) => m.seconds),
  overhead,
);

// Seconds per unit of cost, per kind of task's main node, from the measured run.
const rate = new Map<string, { seconds: number; cost: number; fixed: number[] }>();
for (const task of plan.tasks) {
  const kind = kindOf(plan, task.index, kinds);
  const entry = rate.get(kind) ?? { seconds: 0, cost: 0, fixed: [] };
  entry.seconds += measured[task.index]!.seconds - measured[task.index]!.startup;
  entry.cost += task.cost;
  entry.fixed.push(measured[task.index]!.startup);
  rate.set(kind, entry);
}
for (const file of values.project ?? []) {
  const other = parseExperimentSpec(JSON.parse(readFileSync(file, 'utf8')));
  const otherGraph = buildJobGraph(other);
  const otherPlan = planTasks(other, otherGraph);
  const otherKinds = new Map(otherGraph.nodes.map((node) => [node.id, node.params.kind]));
  const startup = startups[Math.floor(startups.length / 2)]!;
  const seconds = otherPlan.tasks.map((task) => {
    const r = rate.get(kindOf(otherPlan, task.index, otherKinds)) ?? { seconds: 1, cost: 1, fixed: [] };
    return startup + (task.cost * r.seconds) / r.cost;
  });
  printProjection(
    `"${other.name}" (${file}, projected from the measured run's seconds per env step by task kind)`,
    otherPlan,
    seconds,
    overhead,
  );
}
