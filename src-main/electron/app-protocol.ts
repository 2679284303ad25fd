import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The renderer is served from `app://renderer/…` (a privileged standard scheme) instead of file://,
 * so that its responses carry the CSP header, its origin is one fixed value the IPC check can trust,
 * and it can read nothing but the renderer folder. This module decides what a request gets; the shell
 * (main.ts) registers the scheme and turns the answer into a Response. No electron import: tested.
 */

export const APP_SCHEME = 'app';
export const APP_HOST = 'renderer';
export const APP_INDEX_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

export type AppRequestAnswer =
  { ok: true; file: string; mimeType: string } | { ok: false; status: 400 | 403 | 404; reason: string };

function inside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * The file under `root` (the built renderer folder) that `url` names, or why not: another scheme or
 * host (403), a malformed path (400), a path or symlink leading outside root (403), no such regular
 * file (404). `app://renderer/` is index.html.
 */
export function resolveAppRequest(url: string, root: string): AppRequestAnswer {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, status: 400, reason: `not a URL: ${url}` };
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) {
    return { ok: false, status: 403, reason: `${parsed.protocol}//${parsed.host} is not the renderer` };
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(parsed.pathname);
  } catch {
    return { ok: false, status: 400, reason: `malformed path ${parsed.pathname}` };
  }
  if (pathname.includes('\0') || pathname.includes('\\')) {
    return { ok: false, status: 400, reason: `malformed path ${parsed.pathname}` };
  }
  const relative = pathname === '/' || pathname === '' ? 'index.html' : pathname.replace(/^\/+/, '');
  const realRoot = realpathSync(root);
  const file = path.resolve(realRoot, relative);
  if (!inside(realRoot, file))
    return { ok: false, status: 403, reason: `${pathname} is outside the renderer` };
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return { ok: false, status: 404, reason: `no ${pathname} in the renderer` };
  }
  // a symlink inside the folder may point anywhere: confine by the real path too
  if (!inside(realRoot, real))
    return { ok: false, status: 403, reason: `${pathname} leads outside the renderer` };
  if (!statSync(real).isFile()) return { ok: false, status: 404, reason: `${pathname} is not a file` };
  const mimeType = MIME_TYPES[path.extname(real).toLowerCase()] ?? 'application/octet-stream';
  return { ok: true, file: real, mimeType };
}
