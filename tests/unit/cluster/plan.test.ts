import { describe, expect, it } from 'vitest';
import { ancestorsOf, arraySpec, planTasks, taskIdRange } from '../../../src-main/cluster/plan';
import { projectWallTime } from '../../../src-main/cluster/projection';
import { parseArrayJobId, parseQueueListings } from '../../../src-main/cluster/slurm';
import { parseExperimentSpec } from '../../../src-main/jobs/protocol/protocol-store';
import { buildJobGraph } from '../../../src-main/protocol';
import { tinyExperiment } from '../../integration/jobs/protocol-test-helpers';

const spec = parseExperimentSpec(tinyExperiment({ seeds: 2 }));
const graph = buildJobGraph(spec);
const plan = planTasks(spec, graph);

describe('planTasks', () => {
  it('puts every node in exactly one task, evaluations with the checkpoint they evaluate', () => {
    const all = plan.tasks.flatMap((task) => task.nodes);
    expect(all.sort()).toEqual(graph.nodes.map((node) => node.id).sort());
    for (const task of plan.tasks) {
      for (const id of task.nodes.slice(1)) {
        const node = graph.nodes.find((n) => n.id === id)!;
        expect(node.params.kind).toBe('evaluate');
        expect(node.deps).toEqual([task.nodes[0]]);
      }
    }
    expect(plan.tasks.length).toBeLessThan(graph.nodes.length);
  });

  it('orders tasks so that each reads only from earlier tasks of earlier stages', () => {
    for (const task of plan.tasks) {
      for (const dep of task.deps) {
        expect(dep).toBeLessThan(task.index);
        expect(plan.tasks[dep]!.stage).toBeLessThan(task.stage);
      }
    }
    expect(plan.stages.flat().sort((a, b) => a - b)).toEqual(plan.tasks.map((task) => task.index));
    // The second replication's pretraining needs nothing: it starts in stage 0 with the first's.
    expect(plan.stages[0]!.length).toBe(2);
  });

  it('gives each task a disjoint id range above the base file and finds its ancestors', () => {
    const ranges = plan.tasks.map((task) => taskIdRange(task.index));
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.low).toBe(ranges[i - 1]!.high + 1);
    expect(ranges[0]!.low).toBeGreaterThan(1000);
    const last = plan.tasks.at(-1)!;
    const ancestors = ancestorsOf(plan, last.index);
    for (const dep of last.deps) expect(ancestors).toContain(dep);
    const seed = last.nodes[0]!.split('/')[0];
    const pretrain = plan.tasks.find((task) => task.nodes[0] === `${seed}/pretrain`)!;
    expect(ancestors).toContain(pretrain.index);
  });

  it('changes its hash when the spec changes', () => {
    const other = parseExperimentSpec(tinyExperiment({ seeds: 2, alphas: [1] }));
    expect(planTasks(other, buildJobGraph(other)).hash).not.toBe(plan.hash);
    expect(planTasks(spec, buildJobGraph(spec)).hash).toBe(plan.hash);
  });
});

describe('Slurm array syntax', () => {
  it('collapses runs of indices', () => {
    expect(arraySpec([0, 1, 2, 3, 7, 9, 10])).toBe('0-3,7,9-10');
    expect(arraySpec([5])).toBe('5');
  });

  it("reads squeue's compact ids, including the last element of a stepped range", () => {
    expect(parseArrayJobId('12_5')).toEqual({ jobId: '12', tasks: [5] });
    expect(parseArrayJobId('9_[5-31:2]')!.tasks.at(-1)).toBe(31);
    expect(parseArrayJobId('9_[5-31:2]')!.tasks).toHaveLength(14);
    expect(parseArrayJobId('4_[0-3,7%2]')).toEqual({ jobId: '4', tasks: [0, 1, 2, 3, 7] });
    expect(parseArrayJobId('123')).toBeNull();
    // squeue cuts a long compact form at ~32 characters: that line names nothing rather than a part.
    expect(parseArrayJobId('1004_[57,59,61,63,65,67,69,71,7')).toBeNull();
  });

  it('knows every queued element of a stage of scattered indices, from the compact and the expanded listing', () => {
    // What squeue printed for the demo's stage 4 (33 scattered indices) on Slurm 22.05: the compact
    // line is cut short, `squeue -r` lists each element.
    const pendingIndices = [57, 59, 61, 63, 65, 67, 69, 71, 73, 125, 130, 132, 200, 223];
    const compact = '1004_[57,59,61,63,65,67,69,71,7 PENDING\n1005_[74,149,224] PENDING\n1004_50 RUNNING\n';
    const expanded = [
      ...pendingIndices.map((i) => `1004_${i} PENDING`),
      '1005_74 PENDING',
      '1005_149 PENDING',
      '1005_224 PENDING',
      '1004_50 RUNNING',
    ].join('\n');
    const queued = parseQueueListings(compact, expanded);
    for (const index of [...pendingIndices, 74, 149, 224]) expect(queued.get(index)).toBe('pending');
    expect(queued.get(50)).toBe('running');
    expect(queued.size).toBe(pendingIndices.length + 4);
    // The compact listing alone loses the cut array's elements — those a status would call failed.
    expect(parseQueueListings(compact).has(57)).toBe(false);
    // `squeue -r` dropping a stepped range's last element: the compact form still names it.
    expect(parseQueueListings('9_[5-9:2] PENDING', '9_5 PENDING\n9_7 PENDING').get(9)).toBe('pending');
  });
});

describe('wall-time projection', () => {
  it('schedules the longest ready task first on a free node (a hand-worked case)', () => {
    // 0 (3 s), 1 (2 s), 2 (2 s), 3 (1 s, after 0). Two nodes: 0 and 1 start; 2 starts at 2 s when 1
    // ends; 3 starts at 3 s when 0 ends; both end at 4 s — the critical path 0 → 3.
    const small = {
      ...plan,
      tasks: [
        { index: 0, nodes: ['a'], deps: [], stage: 0, cost: 3 },
        { index: 1, nodes: ['b'], deps: [], stage: 0, cost: 2 },
        { index: 2, nodes: ['c'], deps: [], stage: 0, cost: 2 },
        { index: 3, nodes: ['d'], deps: [0], stage: 1, cost: 1 },
      ],
      stages: [[0, 1, 2], [3]],
    };
    const costs = small.tasks.map((task) => task.cost);
    expect(projectWallTime(small, costs, 2)).toEqual({ nodes: 2, wallSeconds: 4, criticalPathSeconds: 4 });
    expect(projectWallTime(small, costs, 1).wallSeconds).toBe(8);
    // With 0.5 s of overhead per task: 0 → 3 takes 5 s; 1 then 2 on the other node 5 s too.
    expect(projectWallTime(small, costs, 2, 0.5).wallSeconds).toBe(5);
  });

  it("waits on Slurm for the whole stage before (an afterok array), and locally only on a task's inputs", () => {
    // 0 (3 s), 1 (1 s), 2 (2 s) in stage 0; 3 (1 s) reads from 1 only. Locally 3 runs 1 → 2 s on the
    // node 1 freed; as Slurm arrays chained by afterok it waits for 0 (3 s) and ends at 4 s.
    const small = {
      ...plan,
      tasks: [
        { index: 0, nodes: ['a'], deps: [], stage: 0, cost: 3 },
        { index: 1, nodes: ['b'], deps: [], stage: 0, cost: 1 },
        { index: 2, nodes: ['c'], deps: [], stage: 0, cost: 2 },
        { index: 3, nodes: ['d'], deps: [1], stage: 1, cost: 1 },
      ],
      stages: [[0, 1, 2], [3]],
    };
    const costs = small.tasks.map((task) => task.cost);
    expect(projectWallTime(small, costs, 3, 0, 'tasks')).toEqual({
      nodes: 3,
      wallSeconds: 3,
      criticalPathSeconds: 3,
    });
    expect(projectWallTime(small, costs, 3, 0, 'stages')).toEqual({
      nodes: 3,
      wallSeconds: 4,
      criticalPathSeconds: 4,
    });
    // Two nodes under Slurm: 0 and 2 first (longest first), 1 at 2 s, stage 0 ends at 3 s, 3 at 3 → 4 s.
    expect(projectWallTime(small, costs, 2, 0, 'stages').wallSeconds).toBe(4);
    // 0.5 s of scheduling per task: the stage chain is (3 + 0.5) + (1 + 0.5).
    expect(projectWallTime(small, costs, 3, 0.5, 'stages')).toEqual({
      nodes: 3,
      wallSeconds: 5,
      criticalPathSeconds: 5,
    });
    expect(projectWallTime(small, costs, 1, 0, 'stages').wallSeconds).toBe(7);
  });

  const seconds = plan.tasks.map((task) => task.cost / 1000);
  const total = seconds.reduce((a, b) => a + b, 0);

  it('takes the sum of the tasks on one node and the critical path on as many nodes as tasks', () => {
    expect(projectWallTime(plan, seconds, 1).wallSeconds).toBeCloseTo(total, 9);
    const wide = projectWallTime(plan, seconds, plan.tasks.length);
    expect(wide.wallSeconds).toBeCloseTo(wide.criticalPathSeconds, 9);
    expect(wide.criticalPathSeconds).toBeLessThan(total);
  });

  it('never beats the critical path nor the work divided by the nodes, and adds overhead per task', () => {
    for (const nodes of [2, 3, 8]) {
      const { wallSeconds, criticalPathSeconds } = projectWallTime(plan, seconds, nodes);
      expect(wallSeconds).toBeGreaterThanOrEqual(criticalPathSeconds - 1e-9);
      expect(wallSeconds).toBeGreaterThanOrEqual(total / nodes - 1e-9);
    }
    expect(projectWallTime(plan, seconds, 1, 2).wallSeconds).toBeCloseTo(total + 2 * plan.tasks.length, 9);
  });

  it('is never faster with stage barriers than with task waits, and equals the stage chain with enough nodes', () => {
    const wide = plan.tasks.length;
    const byTasks = projectWallTime(plan, seconds, wide, 0, 'tasks');
    const byStages = projectWallTime(plan, seconds, wide, 0, 'stages');
    expect(byStages.wallSeconds).toBeCloseTo(byStages.criticalPathSeconds, 9);
    expect(byStages.criticalPathSeconds).toBeGreaterThanOrEqual(byTasks.criticalPathSeconds - 1e-9);
    for (const nodes of [1, 2, 8]) {
      expect(projectWallTime(plan, seconds, nodes, 0, 'stages').wallSeconds).toBeGreaterThanOrEqual(
        projectWallTime(plan, seconds, nodes, 0, 'tasks').wallSeconds - 1e-9,
      );
    }
    expect(projectWallTime(plan, seconds, 1, 0, 'stages').wallSeconds).toBeCloseTo(total, 9);
  });
});
