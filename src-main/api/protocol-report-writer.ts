import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { buildReportHtml, reportCsvTables } from '../protocol';
import { DeltascopeError, type ProtocolReport } from '../shared';
import type { DeltascopeDb } from '../store';
import { buildProtocolReport, reportCurves } from './protocol-report';

/**
 * Writes a protocol experiment's report: one self-contained HTML file at `path` and its tables as
 * CSV files next to it (`<name>-negation.csv`, `<name>-localization.csv`, …, name = the HTML file's
 * name without its extension).
 */
export function writeProtocolReport(
  db: DeltascopeDb,
  experimentId: number,
  path: string,
): { htmlPath: string; csvPaths: string[]; report: ProtocolReport } {
  const htmlPath = resolve(path);
  const report = buildProtocolReport(db, experimentId);
  const html = buildReportHtml(report, reportCurves(db, report));
  const stem = basename(htmlPath, extname(htmlPath));
  const dir = dirname(htmlPath);
  const csvPaths: string[] = [];
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(htmlPath, html, 'utf8');
    for (const { suffix, content } of reportCsvTables(report)) {
      const csvPath = join(dir, `${stem}-${suffix}.csv`);
      writeFileSync(csvPath, content, 'utf8');
      csvPaths.push(csvPath);
    }
  } catch (error) {
    throw new DeltascopeError(
      'IO_ERROR',
      `Cannot write the report to ${htmlPath}: ${(error as Error).message}`,
    );
  }
  return { htmlPath, csvPaths, report };
}
