import { parseArgs } from 'node:util';
import { writeProtocolReport } from '../api/protocol-report-writer';
import { openDatabase } from '../store';
import { UsageError, type CliCommand } from './command';

const HELP = `Usage: deltascope report <experimentId> --db <file.deltascope> --out <report.html>

Writes the report of an objective-isolation experiment (made by \`deltascope run\`)
as ONE self-contained HTML file — spec, reward similarity, training curves, the
negation table and α plots, per-tensor concentration of the relevance maps,
localization, the known-answer check, and statements of what the numbers show —
plus its tables as CSV files next to it (<name>-negation.csv, <name>-success.csv, …).
A partly run experiment gives a partial report. The folder must exist; existing
files are refused unless --force is given (the database never).

Options:
  --db <file>     the database holding the experiment (required)
  --out <file>    the .html file to write (required)
  --force         overwrite existing report and table files
  -h, --help      show this help`;

export const reportCommand: CliCommand = {
  name: 'report',
  summary: 'write the HTML report (and CSV tables) of a protocol experiment',
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        db: { type: 'string' },
        out: { type: 'string' },
        force: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      io.out(HELP);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('report needs exactly one experiment id.');
    const experimentId = Number(positionals[0]!.replace(/^#/, ''));
    if (!Number.isSafeInteger(experimentId) || experimentId < 1)
      throw new UsageError(`the experiment id must be a positive integer; got "${positionals[0]}".`);
    if (values.db === undefined) throw new UsageError('report needs --db <file.deltascope>.');
    if (values.out === undefined) throw new UsageError('report needs --out <report.html>.');
    const db = openDatabase(values.db);
    try {
      const { htmlPath, csvPaths, report } = writeProtocolReport(db, experimentId, values.out, {
        overwrite: values.force === true,
      });
      io.out(
        `Report of experiment #${experimentId} "${report.name}" (${report.progress.done}/${report.progress.total} nodes done): ${htmlPath}`,
      );
      for (const path of csvPaths) io.out(`  table: ${path}`);
      return 0;
    } finally {
      db.close();
    }
  },
};
