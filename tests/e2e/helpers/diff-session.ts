import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { writeDiffDatabase, type DiffDatabase } from '../../fixtures/diff-db';
import { decodePng, isBluish, isNeutral, isReddish, matrixBox, pixel } from './png';
import { useE2eSession, type FileSession } from './session';

/** A test file's session on the diff-db fixture; reading a field before it is open throws. */
export interface DiffSession extends FileSession {
  /** What the fixture wrote (its base checkpoint, runs, the pattern tensor). */
  readonly fixture: DiffDatabase;
}

/**
 * Opens a session (`deltascope-e2e-<name>-*`, 1400 × 1000) on the diff-db fixture — a base and two
 * fine-tunes of it — before the file's tests, and closes it after them.
 */
export function useDiffSession(name: string): DiffSession {
  let fixture: DiffDatabase | null = null;
  const session = useE2eSession(
    name,
    'diff.deltascope',
    (db) => {
      fixture = writeDiffDatabase(db);
    },
    { width: 1400, height: 1000 },
  );
  return {
    get page() {
      return session.page;
    },
    get pageErrors() {
      return session.pageErrors;
    },
    get dir() {
      return session.dir;
    },
    get fixture() {
      if (fixture === null) throw new Error(`the '${name}' e2e session is not open`);
      return fixture;
    },
  };
}

/**
 * The pattern tensor's heatmap (a diff, or a map of it, drawn at fit): its 96 × 64 matrix fills the
 * canvas both ways, the top-left quadrant red (+), the bottom-right blue (−) and the other two
 * neutral (0). `png` is the canvas's screenshot.
 */
export function expectPatternQuadrants(png: Uint8Array): void {
  const image = decodePng(png);
  const { x0, y0, x1, y1 } = matrixBox(image);
  const width = x1 - x0;
  const height = y1 - y0;
  expect(height).toBeGreaterThan(image.height * 0.8);
  expect(width).toBeGreaterThan(image.width * 0.8);
  const at = (fx: number, fy: number) => pixel(image, x0 + fx * width, y0 + fy * height);
  const quadrants = [
    {
      what: 'top-left',
      is: isReddish,
      points: [
        [0.25, 0.25],
        [0.1, 0.1],
        [0.4, 0.4],
      ],
    },
    {
      what: 'bottom-right',
      is: isBluish,
      points: [
        [0.75, 0.75],
        [0.9, 0.9],
        [0.6, 0.6],
      ],
    },
    {
      what: 'unchanged',
      is: isNeutral,
      points: [
        [0.75, 0.25],
        [0.25, 0.75],
        [0.9, 0.1],
        [0.1, 0.9],
      ],
    },
  ] as const;
  for (const { what, is, points } of quadrants) {
    for (const [fx, fy] of points)
      expect(is(at(fx, fy)), `${what} at (${fx}, ${fy}) is ${at(fx, fy)}`).toBe(true);
  }
}

/** Moves the pointer over the heatmap `canvas` at the fraction (fx, fy) of its matrix; returns the canvas's box. */
export async function hoverMatrix(
  page: Page,
  canvas: Locator,
  fx: number,
  fy: number,
): Promise<{ x: number; y: number; width: number; height: number }> {
  const box = await canvas.boundingBox();
  if (box === null) throw new Error('the heatmap canvas has no bounding box');
  const { x0, y0, x1, y1 } = matrixBox(decodePng(await canvas.screenshot()));
  await page.mouse.move(box.x + x0 + fx * (x1 - x0), box.y + y0 + fy * (y1 - y0));
  return box;
}
