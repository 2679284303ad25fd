import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_INDEX_URL, resolveAppRequest } from '../../../src-main/electron/app-protocol';

/** app://renderer/… → a file of the renderer folder, and nothing outside it. */
describe('resolveAppRequest', () => {
  let base: string;
  let root: string;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'deltascope-app-protocol-'));
    root = join(base, 'renderer');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html>');
    writeFileSync(join(root, 'assets', 'index-abc.js'), 'export {}');
    writeFileSync(join(root, 'assets', 'style.css'), 'body{}');
    writeFileSync(join(base, 'secret.txt'), 'not for the renderer');
    symlinkSync(join(base, 'secret.txt'), join(root, 'assets', 'leak.js'));
    symlinkSync(base, join(root, 'up'));
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('serves the index page and its assets with their MIME types', () => {
    expect(resolveAppRequest(APP_INDEX_URL, root)).toMatchObject({
      ok: true,
      file: expect.stringMatching(/renderer[/\\]index\.html$/),
      mimeType: 'text/html; charset=utf-8',
    });
    expect(resolveAppRequest('app://renderer/', root)).toMatchObject({ ok: true, mimeType: /text\/html/ });
    expect(resolveAppRequest('app://renderer/assets/index-abc.js?v=1#x', root)).toMatchObject({
      ok: true,
      mimeType: 'text/javascript; charset=utf-8',
    });
    expect(resolveAppRequest('app://renderer/assets/style.css', root)).toMatchObject({
      ok: true,
      mimeType: /css/,
    });
  });

  it('refuses paths and symlinks that lead outside the renderer folder', () => {
    for (const url of [
      'app://renderer/../secret.txt',
      'app://renderer/%2e%2e/secret.txt',
      'app://renderer/assets/%2E%2E%2F..%2Fsecret.txt',
      'app://renderer/assets/leak.js',
      'app://renderer/up/secret.txt',
    ]) {
      const answer = resolveAppRequest(url, root);
      expect(answer.ok, url).toBe(false);
      // a plain `..` is normalised by the URL parser to /secret.txt, which is not in the folder: 404
      expect([403, 404], url).toContain(answer.ok ? 200 : answer.status);
    }
    expect(resolveAppRequest('app://renderer/assets/leak.js', root)).toMatchObject({
      ok: false,
      status: 403,
    });
    expect(resolveAppRequest('app://renderer/up/secret.txt', root)).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses other hosts and schemes, malformed paths, folders and missing files', () => {
    expect(resolveAppRequest('app://elsewhere/index.html', root)).toMatchObject({ ok: false, status: 403 });
    expect(resolveAppRequest(`file://${join(root, 'index.html')}`, root)).toMatchObject({
      ok: false,
      status: 403,
    });
    expect(resolveAppRequest('app://renderer/%E0%A4%A', root)).toMatchObject({ ok: false, status: 400 });
    expect(resolveAppRequest('app://renderer/a%00b', root)).toMatchObject({ ok: false, status: 400 });
    expect(resolveAppRequest('app://renderer/..%5csecret.txt', root)).toMatchObject({
      ok: false,
      status: 400,
    });
    expect(resolveAppRequest('app://renderer/assets', root)).toMatchObject({ ok: false, status: 404 });
    expect(resolveAppRequest('app://renderer/nope.js', root)).toMatchObject({ ok: false, status: 404 });
    expect(resolveAppRequest('not a url', root)).toMatchObject({ ok: false, status: 400 });
  });
});
