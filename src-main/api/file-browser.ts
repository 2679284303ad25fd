import { readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DeltascopeError, type DirEntry, type DirListing } from '../shared';
import { DATABASE_EXTENSION } from './app-paths';

/**
 * Lists one folder for the in-app file dialog: sub-folders and .deltascope files (other files are
 * listed too, dimmed by the UI, so a user sees why their file is not offered). Hidden entries are
 * skipped. Folders first, then files, each alphabetical.
 */
export function listDirectory(dir: string | undefined): DirListing {
  const target = resolve(dir ?? homedir());
  let names: string[];
  try {
    if (!statSync(target).isDirectory()) {
      throw new DeltascopeError('IO_ERROR', `${target} is not a folder.`);
    }
    names = readdirSync(target);
  } catch (error) {
    if (error instanceof DeltascopeError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DeltascopeError('FILE_NOT_FOUND', `Folder ${target} does not exist.`);
    throw new DeltascopeError('IO_ERROR', `Cannot list folder ${target}: ${(error as Error).message}`);
  }
  const entries: DirEntry[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const path = join(target, name);
    try {
      const stats = statSync(path);
      const kind = stats.isDirectory() ? 'dir' : 'file';
      entries.push({
        name,
        path,
        kind,
        isDeltascope: kind === 'file' && name.endsWith(DATABASE_EXTENSION),
        sizeBytes: kind === 'file' ? stats.size : null,
        modifiedAt: stats.mtime.toISOString(),
      });
    } catch {
      // Broken links and unreadable entries are left out of the listing.
    }
  }
  entries.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'dir' ? -1 : 1));
  const parent = dirname(target);
  return { dir: target, parent: parent === target ? null : parent, home: homedir(), entries };
}
