import { readFileSync, realpathSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** Whether `path` is `root` or lies under it. */
function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Resolves a URL path inside `root`; null for anything outside it or missing. Outside means by name
 * (no `..` escapes) and by real path: a symlink in the renderer folder that leads out of it is not
 * followed.
 */
export function resolveStaticFile(
  root: string,
  urlPath: string,
): { path: string; contentType: string } | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0] ?? '/');
  } catch {
    return null;
  }
  const relative = normalize(decoded === '/' ? '/index.html' : decoded).replace(/^([/\\])+/, '');
  const path = join(root, relative);
  if (!inside(root, path)) return null;
  let real: string;
  try {
    real = realpathSync(path);
    if (!inside(realpathSync(root), real) || !statSync(real).isFile()) return null;
  } catch {
    return null;
  }
  return { path: real, contentType: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream' };
}

export function readStaticFile(path: string): Buffer {
  return readFileSync(path);
}
