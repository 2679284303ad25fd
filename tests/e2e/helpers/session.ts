import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium } from './browser';
import { ensureBuilt, startServe, type ServeProcess } from './server';

/** One end-to-end session: a temp folder, the headless server on its database, Chromium on its URL. */
export interface E2eSession {
  dir: string;
  server: ServeProcess;
  browser: Browser;
  page: Page;
  /** Uncaught errors of the page, for `expect(pageErrors).toEqual([])`. */
  pageErrors: string[];
}

/**
 * Makes `deltascope-e2e-<name>-*` in the temp folder, lets `prepare` write the database `dbFile`
 * there (and anything else the test needs), builds the app if needed, starts `deltascope serve` on
 * it with its own app-data folder, and opens the page in Chromium.
 */
export async function openSession(
  name: string,
  dbFile: string,
  prepare: (dbPath: string, dir: string) => void,
  viewport = { width: 1400, height: 900 },
): Promise<E2eSession> {
  const dir = mkdtempSync(join(tmpdir(), `deltascope-e2e-${name}-`));
  let server: Awaited<ReturnType<typeof startServe>> | null = null;
  let browser: Awaited<ReturnType<typeof launchChromium>> | null = null;
  try {
    const db = join(dir, dbFile);
    prepare(db, dir);
    mkdirSync(join(dir, 'app-data'));
    ensureBuilt();
    server = await startServe(db, join(dir, 'app-data'));
    browser = await launchChromium();
    const page = await browser.newPage({ viewport });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(server.url);
    return { dir, server, browser, page, pageErrors };
  } catch (error) {
    // Nothing to hand back, so nothing the caller could close: stop what was started here.
    await browser?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Closes Chromium, stops the server and removes the folder. */
export async function closeSession(session: E2eSession | null): Promise<void> {
  await session?.browser.close();
  await session?.server.stop();
  if (session !== null) rmSync(session.dir, { recursive: true, force: true });
}

/** A test file's session, read through getters: reading a field before the session is open throws. */
export interface FileSession {
  readonly page: Page;
  /** Uncaught errors of the page, for `expect(pageErrors).toEqual([])`. */
  readonly pageErrors: string[];
  /** The session's temp folder. */
  readonly dir: string;
}

/**
 * Registers the test file's beforeAll/afterAll: `openSession(name, dbFile, prepare, viewport)` before
 * its tests and `closeSession` after them.
 */
export function useE2eSession(
  name: string,
  dbFile: string,
  prepare: (dbPath: string, dir: string) => void,
  viewport?: { width: number; height: number },
): FileSession {
  let session: E2eSession | null = null;
  beforeAll(async () => {
    session = await openSession(name, dbFile, prepare, viewport);
  });
  afterAll(() => closeSession(session));
  const open = (): E2eSession => {
    if (session === null) throw new Error(`the '${name}' e2e session is not open`);
    return session;
  };
  return {
    get page() {
      return open().page;
    },
    get pageErrors() {
      return open().pageErrors;
    },
    get dir() {
      return open().dir;
    },
  };
}
