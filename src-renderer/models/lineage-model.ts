import type { CheckpointSummary, ExperimentNode, RunNode } from '@shared';

/**
 * The checkpoints of one experiment as a left-to-right graph: one lane (row) per run, a checkpoint
 * one column right of everything it came from (its parent checkpoint, and for derived checkpoints
 * their arithmetic inputs), child runs in lanes below their parent run.
 */

export type LineageEdgeKind = 'step' | 'branch' | 'derived';

export interface LineageNode {
  checkpoint: CheckpointSummary;
  run: RunNode;
  col: number;
  lane: number;
  /** Top-left corner in layout pixels. */
  x: number;
  y: number;
}

export interface LineageEdge {
  from: number;
  to: number;
  /** step: the same run trained on; branch: a run started from it; derived: an arithmetic input. */
  kind: LineageEdgeKind;
}

export interface LineageLane {
  run: RunNode;
  lane: number;
  y: number;
}

export interface LineageLayout {
  nodes: LineageNode[];
  edges: LineageEdge[];
  lanes: LineageLane[];
  width: number;
  height: number;
}

export const LINEAGE_GEOMETRY = {
  labelWidth: 170,
  colWidth: 172,
  rowHeight: 58,
  nodeWidth: 108,
  nodeHeight: 32,
  pad: 16,
} as const;

interface Entry {
  checkpoint: CheckpointSummary;
  run: RunNode;
}

/** Checkpoints this one came from, within the experiment: its parent, then its arithmetic inputs. */
function sources(entry: Entry, index: ReadonlyMap<number, Entry>, firstOfRun: boolean): number[] {
  const ids = new Set<number>();
  const { checkpoint, run } = entry;
  if (checkpoint.parentCheckpointId !== null) ids.add(checkpoint.parentCheckpointId);
  else if (firstOfRun && run.parentCheckpointId !== null) ids.add(run.parentCheckpointId);
  for (const input of checkpoint.provenance.inputs) ids.add(input);
  ids.delete(checkpoint.id);
  return [...ids].filter((id) => index.has(id));
}

function byStep(a: CheckpointSummary, b: CheckpointSummary): number {
  return a.step - b.step || a.id - b.id;
}

/** Lays out the experiment's runs that have checkpoints. */
export function layoutLineage(experiment: ExperimentNode): LineageLayout {
  const index = new Map<number, Entry>();
  const runs = experiment.runs.filter((run) => run.checkpoints.length > 0);
  const ordered = new Map<number, CheckpointSummary[]>();
  for (const run of runs) {
    const checkpoints = [...run.checkpoints].sort(byStep);
    ordered.set(run.id, checkpoints);
    for (const checkpoint of checkpoints) index.set(checkpoint.id, { checkpoint, run });
  }

  const sourceIds = new Map<number, number[]>();
  const previousInRun = new Map<number, number>();
  for (const run of runs) {
    const checkpoints = ordered.get(run.id) ?? [];
    checkpoints.forEach((checkpoint, i) => {
      sourceIds.set(checkpoint.id, sources({ checkpoint, run }, index, i === 0));
      // A derived run holds separate results of arithmetic (e.g. one per α), not a training sequence.
      const previous = checkpoints[i - 1];
      if (previous !== undefined && run.phase !== 'derived') previousInRun.set(checkpoint.id, previous.id);
    });
  }

  // col = 1 + max col of its sources and of the run's previous checkpoint (0 with none); a cycle in
  // damaged provenance is cut where it closes.
  const cols = new Map<number, number>();
  const visiting = new Set<number>();
  const colOf = (id: number): number => {
    const known = cols.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0;
    visiting.add(id);
    const before = [...(sourceIds.get(id) ?? [])];
    const previous = previousInRun.get(id);
    if (previous !== undefined) before.push(previous);
    const col = before.length === 0 ? 0 : Math.max(...before.map(colOf)) + 1;
    visiting.delete(id);
    cols.set(id, col);
    return col;
  };
  for (const id of index.keys()) colOf(id);
  // Two checkpoints of one lane never share a column (derived results of the same inputs would).
  for (const run of runs) {
    let last = -1;
    for (const checkpoint of [...(ordered.get(run.id) ?? [])].sort(
      (a, b) => (cols.get(a.id) ?? 0) - (cols.get(b.id) ?? 0) || a.id - b.id,
    )) {
      const col = Math.max(cols.get(checkpoint.id) ?? 0, last + 1);
      cols.set(checkpoint.id, col);
      last = col;
    }
  }

  // Lanes: runs in depth-first order of "started from a checkpoint of" (roots and siblings by id).
  const parentRun = new Map<number, number | null>();
  for (const run of runs) {
    const first = ordered.get(run.id)?.[0];
    const origin = first === undefined ? [] : (sourceIds.get(first.id) ?? []);
    const from = origin.map((id) => index.get(id)?.run.id).find((id) => id !== undefined && id !== run.id);
    parentRun.set(run.id, from ?? null);
  }
  const children = new Map<number | null, RunNode[]>();
  for (const run of [...runs].sort((a, b) => a.id - b.id)) {
    const parent = parentRun.get(run.id) ?? null;
    children.set(parent, [...(children.get(parent) ?? []), run]);
  }
  const laneOrder: RunNode[] = [];
  const placed = new Set<number>();
  const visit = (run: RunNode): void => {
    if (placed.has(run.id)) return;
    placed.add(run.id);
    laneOrder.push(run);
    for (const child of children.get(run.id) ?? []) visit(child);
  };
  for (const root of children.get(null) ?? []) visit(root);
  for (const run of runs) visit(run); // runs caught in a cycle of parents

  const g = LINEAGE_GEOMETRY;
  const laneOf = new Map(laneOrder.map((run, lane) => [run.id, lane]));
  const nodes: LineageNode[] = [];
  for (const [id, entry] of index) {
    const col = cols.get(id) ?? 0;
    const lane = laneOf.get(entry.run.id) ?? 0;
    nodes.push({
      ...entry,
      col,
      lane,
      x: g.pad + g.labelWidth + col * g.colWidth,
      y: g.pad + lane * g.rowHeight + (g.rowHeight - g.nodeHeight) / 2,
    });
  }
  nodes.sort((a, b) => a.lane - b.lane || a.col - b.col);

  const edges: LineageEdge[] = [];
  for (const [id, entry] of index) {
    const previous = previousInRun.get(id);
    const parent = entry.checkpoint.parentCheckpointId;
    for (const from of sourceIds.get(id) ?? []) {
      const sameRun = index.get(from)?.run.id === entry.run.id;
      const kind: LineageEdgeKind =
        from === parent || (parent === null && from === entry.run.parentCheckpointId)
          ? sameRun
            ? 'step'
            : 'branch'
          : 'derived';
      edges.push({ from, to: id, kind });
    }
    // Consecutive checkpoints of a run are linked even when the store recorded no parent between them.
    if (previous !== undefined && !(sourceIds.get(id) ?? []).includes(previous)) {
      edges.push({ from: previous, to: id, kind: 'step' });
    }
  }

  const maxCol = nodes.reduce((m, n) => Math.max(m, n.col), 0);
  return {
    nodes,
    edges,
    lanes: laneOrder.map((run, lane) => ({ run, lane, y: g.pad + lane * g.rowHeight })),
    width: g.pad * 2 + g.labelWidth + (maxCol + 1) * g.colWidth,
    height: g.pad * 2 + laneOrder.length * g.rowHeight,
  };
}

/** An SVG path from the right edge of one node to the left edge of another (a smooth S-curve). */
export function edgePath(from: LineageNode, to: LineageNode): string {
  const g = LINEAGE_GEOMETRY;
  const x1 = from.x + g.nodeWidth;
  const y1 = from.y + g.nodeHeight / 2;
  const x2 = to.x;
  const y2 = to.y + g.nodeHeight / 2;
  const bend = Math.max(12, (x2 - x1) / 2);
  return `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`;
}
