import { DeltascopeError } from '../../shared/errors';
import { OBJECT_KINDS, type ObjectKind } from '../../shared/gridmaze-config';

/**
 * Plain-data pictures of one environment, for the agent viewer and for tests. Text form, one line per
 * row: `#` wall, `.` open, `A` agent, and one letter per object kind (KIND_SYMBOLS).
 */

export const KIND_SYMBOLS: Readonly<Record<ObjectKind, string>> = {
  cheese: 'c',
  coin: 'o',
  red_gem: 'r',
  blue_gem: 'b',
};

export interface GridMazeLayout {
  size: number;
  /** Row-major, 1 = wall. */
  walls: number[];
  agent: { row: number; col: number };
  /** Objects still present (collected ones have vanished). */
  objects: { kind: ObjectKind; row: number; col: number }[];
  /** Steps taken in the current episode. */
  step: number;
}

/** Text picture of a layout. */
export function formatLayout(layout: GridMazeLayout): string {
  const { size } = layout;
  const chars: string[] = layout.walls.map((wall) => (wall ? '#' : '.'));
  for (const object of layout.objects) chars[object.row * size + object.col] = KIND_SYMBOLS[object.kind];
  chars[layout.agent.row * size + layout.agent.col] = 'A';
  const rows: string[] = [];
  for (let r = 0; r < size; r++) rows.push(chars.slice(r * size, (r + 1) * size).join(''));
  return rows.join('\n');
}

/** A parsed text layout: walls (1 = wall), agent cell, object cell per kind of `kinds` (−1 = absent). */
export interface ParsedLayout {
  walls: Uint8Array;
  agent: number;
  objects: Int32Array;
}

/** Parses a text layout for a size×size env with `kinds`; the border must be wall and `A` must appear once. */
export function parseLayout(text: string, size: number, kinds: readonly ObjectKind[]): ParsedLayout {
  const bad = (message: string): DeltascopeError => new DeltascopeError('INVALID_SPEC', `layout: ${message}`);
  const rows = text
    .split('\n')
    .map((row) => row.trim())
    .filter((row) => row.length > 0);
  if (rows.length !== size || rows.some((row) => row.length !== size)) {
    throw bad(`expected ${size} rows of ${size} characters; got ${rows.map((row) => row.length).join(', ')}`);
  }
  const symbolKind = new Map<string, ObjectKind>(OBJECT_KINDS.map((kind) => [KIND_SYMBOLS[kind], kind]));
  const walls = new Uint8Array(size * size);
  const objects = new Int32Array(kinds.length).fill(-1);
  let agent = -1;
  rows.forEach((row, r) => {
    [...row].forEach((ch, c) => {
      const cell = r * size + c;
      const border = r === 0 || c === 0 || r === size - 1 || c === size - 1;
      if (ch === '#') {
        walls[cell] = 1;
        return;
      }
      if (border) throw bad(`border cell (${r}, ${c}) is "${ch}" but the border must be wall`);
      if (ch === '.') return;
      if (ch === 'A') {
        if (agent >= 0) throw bad('more than one agent "A"');
        agent = cell;
        return;
      }
      const kind = symbolKind.get(ch);
      const k = kind === undefined ? -1 : kinds.indexOf(kind);
      if (k < 0) throw bad(`unknown symbol "${ch}" at (${r}, ${c}) (kinds here: ${kinds.join(', ')})`);
      if ((objects[k] as number) >= 0) throw bad(`more than one ${kinds[k]}`);
      objects[k] = cell;
    });
  });
  if (agent < 0) throw bad('no agent "A"');
  return { walls, agent, objects };
}
