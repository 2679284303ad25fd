/**
 * When each protocol node started, from what the database keeps: a training node when its run was
 * created; any other node when it could start, since the runner works through non-training nodes one
 * at a time (protocol-runner: one local node at once): the later of its inputs' finish and the
 * previous non-training node's finish. Across a stop and resume this counts the pause too.
 */

export interface TimedNode {
  id: string;
  kind: string;
  deps: readonly string[];
}

export interface NodeTimingInput {
  nodes: readonly TimedNode[];
  /** ISO finish time of every node that finished (done or failed). */
  finishedAt: ReadonlyMap<string, string>;
  /** ISO creation time of each training node's run. */
  runCreatedAt: ReadonlyMap<string, string>;
}

function later(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

function time(iso: string | undefined): number | null {
  if (iso === undefined) return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
}

/** Start time (ISO) of each node that has started or could have; null where it is not known. */
export function nodeStartTimes(input: NodeTimingInput): Map<string, string | null> {
  const localFinishes = input.nodes
    .filter((node) => node.kind !== 'train')
    .map((node) => time(input.finishedAt.get(node.id)))
    .filter((ms): ms is number => ms !== null)
    .sort((a, b) => a - b);
  const starts = new Map<string, string | null>();
  for (const node of input.nodes) {
    if (node.kind === 'train') {
      const created = time(input.runCreatedAt.get(node.id));
      starts.set(node.id, created === null ? null : new Date(created).toISOString());
      continue;
    }
    const depTimes = node.deps.map((dep) => time(input.finishedAt.get(dep)));
    if (depTimes.some((ms) => ms === null)) {
      starts.set(node.id, null);
      continue;
    }
    const ready = depTimes.reduce<number | null>((a, b) => later(a, b), null);
    const own = time(input.finishedAt.get(node.id));
    // The latest non-training finish before this node's own (or before now, if it has not finished).
    let previous: number | null = null;
    for (const ms of localFinishes) {
      if (own !== null && ms >= own) break;
      previous = ms;
    }
    const start = later(ready, previous);
    starts.set(
      node.id,
      start === null || (own !== null && start > own) ? null : new Date(start).toISOString(),
    );
  }
  return starts;
}
