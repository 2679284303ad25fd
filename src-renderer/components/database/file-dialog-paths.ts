/** Path handling for the in-app file dialog. Paths belong to the machine running the main side,
 * which may be Windows while the browser is not, so the separator is read from the paths. */

export const DELTASCOPE_EXTENSION = '.deltascope';

/** "\\" for Windows-looking paths ("C:\\x", "\\\\server\\x"), "/" otherwise. */
export function pathSeparator(path: string): '/' | '\\' {
  return /^[A-Za-z]:\\/.test(path) || (path.includes('\\') && !path.includes('/')) ? '\\' : '/';
}

export function isAbsolutePath(path: string): boolean {
  return path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:[\\/]/.test(path);
}

export function joinPath(dir: string, name: string): string {
  const sep = pathSeparator(dir);
  return dir.endsWith('/') || dir.endsWith('\\') ? `${dir}${name}` : `${dir}${sep}${name}`;
}

/** The folder part of a file path ("/a/b/c.deltascope" → "/a/b"); null for a bare name. */
export function parentDir(path: string): string | null {
  const at = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  if (at < 0) return null;
  if (at === 0) return path.slice(0, 1);
  if (/^[A-Za-z]:$/.test(path.slice(0, at))) return path.slice(0, at + 1);
  return path.slice(0, at);
}

export function isDeltascopePath(path: string): boolean {
  return path.toLowerCase().endsWith(DELTASCOPE_EXTENSION);
}

/** "runs" → "runs.deltascope"; a name already ending in .deltascope is kept. */
export function withDeltascopeExtension(name: string): string {
  return isDeltascopePath(name) ? name : `${name}${DELTASCOPE_EXTENSION}`;
}

/** A typed path made absolute: "~" means `home`, a relative path is taken from `dir`. */
export function resolveTypedPath(typed: string, dir: string, home: string): string {
  const text = typed.trim();
  if (text === '~') return home;
  if (text.startsWith('~/') || text.startsWith('~\\')) return joinPath(home, text.slice(2));
  return isAbsolutePath(text) ? text : joinPath(dir, text);
}

export type TypedPathAction = { kind: 'list'; path: string } | { kind: 'open'; path: string };

/** Enter in the path field: a .deltascope file is opened, anything else is listed as a folder. */
export function typedPathAction(typed: string, dir: string, home: string): TypedPathAction {
  const path = resolveTypedPath(typed, dir, home);
  return isDeltascopePath(path) ? { kind: 'open', path } : { kind: 'list', path };
}

/** Where "New" will create the file: name (extension added if missing) inside dir, or as typed. */
export function newDatabasePath(name: string, dir: string, home: string): string {
  return resolveTypedPath(withDeltascopeExtension(name.trim()), dir, home);
}
