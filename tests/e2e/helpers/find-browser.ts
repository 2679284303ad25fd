import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/** Program names looked up on PATH, in order of preference. */
const ON_PATH = [
  'chromium',
  'chromium-browser',
  'google-chrome',
  'google-chrome-stable',
  'microsoft-edge',
  'microsoft-edge-stable',
];

/** Where Chromium, Chrome and Edge install themselves when they are not on PATH. */
const USUAL_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/snap/bin/chromium',
  '/usr/bin/google-chrome',
  '/opt/google/chrome/chrome',
  '/opt/microsoft/msedge/msedge',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
  'C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe',
  'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
  'C:\\Program Files\\Microsoft\\Edge\\Application\\msedge.exe',
];

export const NO_BROWSER_MESSAGE =
  'no Chromium, Chrome or Edge found for the end-to-end tests: install one (Debian/Ubuntu: ' +
  '`sudo apt-get install chromium`) or set DELTASCOPE_CHROMIUM=/path/to/the/browser';

export interface BrowserSearch {
  env: Readonly<Record<string, string | undefined>>;
  /** Whether the file exists and may be executed. */
  isExecutable: (file: string) => boolean;
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export const SYSTEM: BrowserSearch = { env: process.env, isExecutable: isExecutableFile };

/**
 * The browser the e2e tests drive: DELTASCOPE_CHROMIUM (which must then exist), else the first of
 * chromium, chromium-browser, google-chrome, Edge on PATH, else on their usual install paths. Throws
 * one line saying how to get one.
 */
export function findBrowser(search: BrowserSearch = SYSTEM): string {
  const explicit = search.env.DELTASCOPE_CHROMIUM;
  if (explicit !== undefined && explicit !== '') {
    if (search.isExecutable(explicit)) return explicit;
    throw new Error(`DELTASCOPE_CHROMIUM is ${explicit}, which is not an executable file`);
  }
  const dirs = (search.env.PATH ?? '').split(path.delimiter).filter((dir) => dir !== '');
  const suffixes = process.platform === 'win32' ? ['.exe', ''] : [''];
  for (const name of ON_PATH) {
    for (const dir of dirs) {
      for (const suffix of suffixes) {
        const file = path.join(dir, name + suffix);
        if (search.isExecutable(file)) return file;
      }
    }
  }
  const found = USUAL_PATHS.find((file) => search.isExecutable(file));
  if (found !== undefined) return found;
  throw new Error(NO_BROWSER_MESSAGE);
}
