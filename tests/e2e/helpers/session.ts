import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
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
  const db = join(dir, dbFile);
  prepare(db, dir);
  mkdirSync(join(dir, 'app-data'));
  ensureBuilt();
  const server = await startServe(db, join(dir, 'app-data'));
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport });
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(server.url);
  return { dir, server, browser, page, pageErrors };
}

/** Closes Chromium, stops the server and removes the folder (whatever of it was opened). */
export async function closeSession(session: E2eSession | null): Promise<void> {
  await session?.browser.close();
  await session?.server.stop();
  if (session !== null) rmSync(session.dir, { recursive: true, force: true });
}
