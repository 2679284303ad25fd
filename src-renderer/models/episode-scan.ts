import type { EpisodeScan, EpisodeScanMaze } from '@shared/contract-evaluation';

/**
 * Picking the mazes of an episode scan where a behaviour shows: "A collects the coin", "A collects
 * it and B does not", … and the per-checkpoint totals of what was collected.
 */

export const SCAN_CONDITIONS = [
  { id: 'a-collects', label: 'A collects' },
  { id: 'a-misses', label: 'A does not collect' },
  { id: 'a-not-b', label: 'A collects, B does not' },
  { id: 'b-not-a', label: 'B collects, A does not' },
  { id: 'both', label: 'both collect' },
  { id: 'any', label: 'every maze' },
] as const;
export type ScanCondition = (typeof SCAN_CONDITIONS)[number]['id'];

function collects(maze: EpisodeScanMaze, index: number, kind: string): boolean | null {
  const outcome = maze.outcomes[index];
  return outcome === undefined ? null : outcome.collected.includes(kind);
}

/** Whether a maze shows the behaviour; conditions about B hold for no maze of a one-checkpoint scan. */
export function mazeMatches(maze: EpisodeScanMaze, condition: ScanCondition, kind: string): boolean {
  const a = collects(maze, 0, kind);
  const b = collects(maze, 1, kind);
  switch (condition) {
    case 'any':
      return true;
    case 'a-collects':
      return a === true;
    case 'a-misses':
      return a === false;
    case 'a-not-b':
      return a === true && b === false;
    case 'b-not-a':
      return b === true && a === false;
    case 'both':
      return a === true && b === true;
  }
}

export function matchingMazes(scan: EpisodeScan, condition: ScanCondition, kind: string): EpisodeScanMaze[] {
  return scan.mazes.filter((maze) => mazeMatches(maze, condition, kind));
}

/** Per checkpoint of the scan: in how many mazes it collected each kind. */
export function collectedTotals(
  scan: EpisodeScan,
): { checkpointId: number; counts: Record<string, number> }[] {
  return scan.checkpointIds.map((checkpointId, index) => {
    const counts: Record<string, number> = Object.fromEntries(scan.kinds.map((kind) => [kind, 0]));
    for (const maze of scan.mazes) {
      for (const kind of maze.outcomes[index]?.collected ?? []) counts[kind] = (counts[kind] ?? 0) + 1;
    }
    return { checkpointId, counts };
  });
}
