import type { Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { writeDiffDatabase, type DiffDatabase } from '../../fixtures/diff-db';
import { closeSession, openSession, type E2eSession } from './session';

/** A test file's session on the diff-db fixture; reading a field before it is open throws. */
export interface DiffSession {
  readonly page: Page;
  /** Uncaught errors of the page, for `expect(pageErrors).toEqual([])`. */
  readonly pageErrors: string[];
  /** What the fixture wrote (its base checkpoint, runs, the pattern tensor). */
  readonly fixture: DiffDatabase;
  /** The session's temp folder, which holds `diff.deltascope`. */
  readonly dir: string;
}

/**
 * Opens a session (`deltascope-e2e-<name>-*`, 1400 × 1000) on the diff-db fixture — a base and two
 * fine-tunes of it — before the file's tests, and closes it after them.
 */
export function useDiffSession(name: string): DiffSession {
  let session: E2eSession | null = null;
  let fixture: DiffDatabase | null = null;
  beforeAll(async () => {
    session = await openSession(
      name,
      'diff.deltascope',
      (db) => {
        fixture = writeDiffDatabase(db);
      },
      { width: 1400, height: 1000 },
    );
  });
  afterAll(() => closeSession(session));
  const open = (): { session: E2eSession; fixture: DiffDatabase } => {
    if (session === null || fixture === null) throw new Error(`the '${name}' e2e session is not open`);
    return { session, fixture };
  };
  return {
    get page() {
      return open().session.page;
    },
    get pageErrors() {
      return open().session.pageErrors;
    },
    get fixture() {
      return open().fixture;
    },
    get dir() {
      return open().session.dir;
    },
  };
}
