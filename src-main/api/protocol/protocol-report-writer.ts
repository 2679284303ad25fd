import { basename, dirname, extname, join, resolve } from 'node:path';
import { checkWriteTarget, writeFilesSafelySync, type SafeWriteOptions } from '../../files';
import { buildReportHtml, reportCsvTables } from '../../protocol';
import type { ProtocolReport } from '../../shared';
import type { DeltascopeDb } from '../../store';
import { buildProtocolReport, reportCurves } from './protocol-report';
import { reportRelevanceMaps } from './protocol-report-maps';

/**
 * Writes a protocol experiment's report: one self-contained HTML file at `path` and its tables as
 * CSV files next to it (`<name>-negation.csv`, `<name>-localization.csv`, …, name = the HTML file's
 * name without its extension). The files are written safely (src-main/files): an existing file is
 * replaced only with `overwrite`, the open database never, and nothing is written unless all can be.
 */
export function writeProtocolReport(
  db: DeltascopeDb,
  experimentId: number,
  path: string,
  options: SafeWriteOptions = {},
): { htmlPath: string; csvPaths: string[]; report: ProtocolReport } {
  const htmlTarget = { path: resolve(path), extensions: ['.html', '.htm'] };
  // Refuse a wrong destination before building: building stores the report's baseline in the database.
  const htmlPath = checkWriteTarget(htmlTarget, options);
  const report = buildProtocolReport(db, experimentId);
  const html = buildReportHtml(report, reportCurves(db, report), reportRelevanceMaps(db, report));
  const stem = basename(htmlPath, extname(htmlPath));
  const csvs = reportCsvTables(report).map(({ suffix, content }) => ({
    target: { path: join(dirname(htmlPath), `${stem}-${suffix}.csv`), extensions: ['.csv'] },
    data: content,
  }));
  const [, ...csvPaths] = writeFilesSafelySync([{ target: htmlTarget, data: html }, ...csvs], options);
  return { htmlPath, csvPaths, report };
}
