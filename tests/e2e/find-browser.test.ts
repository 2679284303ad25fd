import { describe, expect, it } from 'vitest';
import { findBrowser, NO_BROWSER_MESSAGE, type BrowserSearch } from './helpers/find-browser';

/** The e2e tests' browser finder, over a fake file system (no browser is launched). */
function search(files: string[], env: Record<string, string>): BrowserSearch {
  return { env, isExecutable: (file) => files.includes(file) };
}

describe('findBrowser', () => {
  it('takes DELTASCOPE_CHROMIUM first, and refuses one that does not exist', () => {
    const files = ['/opt/my/chrome', '/usr/bin/chromium'];
    expect(findBrowser(search(files, { DELTASCOPE_CHROMIUM: '/opt/my/chrome', PATH: '/usr/bin' }))).toBe(
      '/opt/my/chrome',
    );
    expect(() => findBrowser(search(files, { DELTASCOPE_CHROMIUM: '/nope', PATH: '/usr/bin' }))).toThrow(
      'DELTASCOPE_CHROMIUM is /nope, which is not an executable file',
    );
  });

  it('then chromium, chromium-browser, google-chrome, Edge on PATH, in that order', () => {
    const env = { PATH: ['/a', '/b'].join(process.platform === 'win32' ? ';' : ':') };
    const at = (dir: string, name: string) =>
      `${dir}/${name}`.replace(/\//g, process.platform === 'win32' ? '\\' : '/');
    expect(findBrowser(search([at('/b', 'google-chrome'), at('/b', 'chromium-browser')], env))).toBe(
      at('/b', 'chromium-browser'),
    );
    expect(findBrowser(search([at('/a', 'microsoft-edge'), at('/b', 'google-chrome')], env))).toBe(
      at('/b', 'google-chrome'),
    );
    expect(findBrowser(search([at('/a', 'microsoft-edge')], env))).toBe(at('/a', 'microsoft-edge'));
  });

  it('then the usual install paths (Chrome under /opt, Edge, macOS apps)', () => {
    expect(findBrowser(search(['/opt/google/chrome/chrome'], { PATH: '' }))).toBe(
      '/opt/google/chrome/chrome',
    );
    expect(findBrowser(search(['/opt/microsoft/msedge/msedge'], {}))).toBe('/opt/microsoft/msedge/msedge');
  });

  it('with none, fails with one line saying how to install one', () => {
    expect(() => findBrowser(search([], { PATH: '/usr/bin' }))).toThrow(NO_BROWSER_MESSAGE);
    expect(NO_BROWSER_MESSAGE).not.toContain('\n');
    expect(NO_BROWSER_MESSAGE).toMatch(/apt-get install chromium.*DELTASCOPE_CHROMIUM/);
  });

  it('finds the browser on this machine (the e2e tests need one)', () => {
    expect(findBrowser()).toMatch(/chrom|edge/i);
  });
});
