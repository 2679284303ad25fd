import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { RecentFile } from '../shared';

const MAX_RECENT = 12;

const RecentListSchema = z.array(z.object({ path: z.string(), openedAt: z.string() }));

/**
 * The recent-files list, kept as JSON in the app-data folder. Written atomically (temp file +
 * rename) so a crash never leaves a half-written list; an unreadable list is treated as empty.
 */
export class RecentFiles {
  private readonly file: string;

  constructor(appDataDir: string) {
    this.file = join(appDataDir, 'recent-files.json');
  }

  list(): RecentFile[] {
    return this.read().map((entry) => ({ ...entry, exists: existsSync(entry.path) }));
  }

  add(path: string): RecentFile[] {
    const rest = this.read().filter((entry) => entry.path !== path);
    this.write([{ path, openedAt: new Date().toISOString() }, ...rest].slice(0, MAX_RECENT));
    return this.list();
  }

  remove(path: string): RecentFile[] {
    this.write(this.read().filter((entry) => entry.path !== path));
    return this.list();
  }

  private read(): { path: string; openedAt: string }[] {
    if (!existsSync(this.file)) return [];
    try {
      const parsed = RecentListSchema.safeParse(JSON.parse(readFileSync(this.file, 'utf8')));
      return parsed.success ? parsed.data : [];
    } catch {
      return [];
    }
  }

  private write(entries: { path: string; openedAt: string }[]): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(entries, null, 2));
    renameSync(temp, this.file);
  }
}
