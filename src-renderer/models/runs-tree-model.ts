import type { CheckpointSummary, ExperimentNode, RunNode } from '@shared';

/** The experiment → run → checkpoint tree as flat rows, and its keyboard moves (WAI-ARIA tree). */

export type TreeNodeKind = 'experiment' | 'run' | 'checkpoint';

export interface TreeSelection {
  kind: TreeNodeKind;
  id: number;
}

interface RowBase {
  key: string;
  id: number;
  level: 1 | 2 | 3;
  parentKey: string | null;
  expandable: boolean;
  expanded: boolean;
  posInSet: number;
  setSize: number;
}

export type TreeRow =
  | (RowBase & { kind: 'experiment'; node: ExperimentNode })
  | (RowBase & { kind: 'run'; node: RunNode })
  | (RowBase & { kind: 'checkpoint'; node: CheckpointSummary });

export interface TreeIndex {
  experiments: Map<number, ExperimentNode>;
  runs: Map<number, { run: RunNode; experiment: ExperimentNode }>;
  checkpoints: Map<number, { checkpoint: CheckpointSummary; run: RunNode; experiment: ExperimentNode }>;
}

/** "e:3", "r:12", "c:40": stable keys for rows and expansion state. */
export function nodeKey(selection: TreeSelection): string {
  return `${selection.kind[0]}:${selection.id}`;
}

export function buildTreeIndex(tree: readonly ExperimentNode[]): TreeIndex {
  const index: TreeIndex = { experiments: new Map(), runs: new Map(), checkpoints: new Map() };
  for (const experiment of tree) {
    index.experiments.set(experiment.id, experiment);
    for (const run of experiment.runs) {
      index.runs.set(run.id, { run, experiment });
      for (const checkpoint of run.checkpoints)
        index.checkpoints.set(checkpoint.id, { checkpoint, run, experiment });
    }
  }
  return index;
}

/** Keys of the rows that must be expanded for `selection` to be visible; null if it is not in the tree. */
export function ancestorKeys(index: TreeIndex, selection: TreeSelection): string[] | null {
  if (selection.kind === 'experiment') return index.experiments.has(selection.id) ? [] : null;
  if (selection.kind === 'run') {
    const entry = index.runs.get(selection.id);
    return entry === undefined ? null : [nodeKey({ kind: 'experiment', id: entry.experiment.id })];
  }
  const entry = index.checkpoints.get(selection.id);
  return entry === undefined
    ? null
    : [nodeKey({ kind: 'experiment', id: entry.experiment.id }), nodeKey({ kind: 'run', id: entry.run.id })];
}

/** The rows a reader sees: children of expanded nodes only, in tree order. */
export function visibleRows(tree: readonly ExperimentNode[], expanded: ReadonlySet<string>): TreeRow[] {
  const rows: TreeRow[] = [];
  tree.forEach((experiment, ei) => {
    const eKey = nodeKey({ kind: 'experiment', id: experiment.id });
    const eOpen = expanded.has(eKey);
    rows.push({
      kind: 'experiment',
      node: experiment,
      key: eKey,
      id: experiment.id,
      level: 1,
      parentKey: null,
      expandable: experiment.runs.length > 0,
      expanded: eOpen,
      posInSet: ei + 1,
      setSize: tree.length,
    });
    if (!eOpen) return;
    experiment.runs.forEach((run, ri) => {
      const rKey = nodeKey({ kind: 'run', id: run.id });
      const rOpen = expanded.has(rKey);
      rows.push({
        kind: 'run',
        node: run,
        key: rKey,
        id: run.id,
        level: 2,
        parentKey: eKey,
        expandable: run.checkpoints.length > 0,
        expanded: rOpen,
        posInSet: ri + 1,
        setSize: experiment.runs.length,
      });
      if (!rOpen) return;
      run.checkpoints.forEach((checkpoint, ci) => {
        rows.push({
          kind: 'checkpoint',
          node: checkpoint,
          key: nodeKey({ kind: 'checkpoint', id: checkpoint.id }),
          id: checkpoint.id,
          level: 3,
          parentKey: rKey,
          expandable: false,
          expanded: false,
          posInSet: ci + 1,
          setSize: run.checkpoints.length,
        });
      });
    });
  });
  return rows;
}

export type TreeNavigationKey = 'ArrowUp' | 'ArrowDown' | 'ArrowLeft' | 'ArrowRight' | 'Home' | 'End';

export interface TreeMove {
  /** Row to focus next. */
  focus?: string;
  expand?: string;
  collapse?: string;
}

export function isTreeNavigationKey(key: string): key is TreeNavigationKey {
  return ['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(key);
}

/**
 * What a navigation key does from the focused row (WAI-ARIA tree pattern): Up/Down move, Right
 * expands or enters the first child, Left collapses or goes to the parent, Home/End jump.
 */
export function treeMove(
  rows: readonly TreeRow[],
  focusKey: string | null,
  key: TreeNavigationKey,
): TreeMove {
  if (rows.length === 0) return {};
  const first = rows[0] as TreeRow;
  const last = rows[rows.length - 1] as TreeRow;
  const at = rows.findIndex((row) => row.key === focusKey);
  if (at === -1) return { focus: first.key };
  const row = rows[at] as TreeRow;
  switch (key) {
    case 'Home':
      return { focus: first.key };
    case 'End':
      return { focus: last.key };
    case 'ArrowUp':
      return { focus: (rows[Math.max(0, at - 1)] as TreeRow).key };
    case 'ArrowDown':
      return { focus: (rows[Math.min(rows.length - 1, at + 1)] as TreeRow).key };
    case 'ArrowRight':
      if (row.expandable && !row.expanded) return { expand: row.key };
      if (row.expandable && row.expanded) {
        const child = rows[at + 1];
        return child !== undefined && child.parentKey === row.key ? { focus: child.key } : {};
      }
      return {};
    case 'ArrowLeft':
      if (row.expandable && row.expanded) return { collapse: row.key };
      return row.parentKey === null ? {} : { focus: row.parentKey };
  }
}

/** The words a run is found by: its experiment, name, phase, reward, seed ("s3" and "seed 3") and status. */
function runText(experiment: ExperimentNode, run: RunNode): string {
  const seed = run.seed === null ? '' : ` s${run.seed} seed ${run.seed}`;
  return `${experiment.name} ${run.name} ${run.phase} ${run.reward.name}${seed} ${run.status}`.toLowerCase();
}

/**
 * The tree narrowed to what `query` finds: every whitespace-separated word must occur (case-insensitive)
 * in a run's experiment, name, phase, reward, seed or status; experiments without a matching run are
 * left out. An empty query keeps the whole tree.
 */
export function filterTree(tree: readonly ExperimentNode[], query: string): ExperimentNode[] {
  const words = query
    .toLowerCase()
    .split(/\s+/)
    .filter((word) => word.length > 0);
  if (words.length === 0) return [...tree];
  return tree.flatMap((experiment) => {
    const runs = experiment.runs.filter((run) => {
      const text = runText(experiment, run);
      return words.every((word) => text.includes(word));
    });
    return runs.length === 0 ? [] : [{ ...experiment, runs }];
  });
}
