import { writeProtocolReport } from '../api/protocol/protocol-report-writer';
import {
  knownAnswerChecksLine,
  runKnownAnswerChecksOnEveryReplication,
} from '../api/protocol/protocol-checks';
import { openDatabase } from '../store';
import { UsageError } from './command';
import { defineCommand } from './define-command';

export const reportCommand = defineCommand({
  name: 'report',
  summary: 'write the HTML report (and CSV tables) of a protocol experiment',
  usage: 'report <experimentId> --db <file.deltascope> --out <report.html>',
  description: `Writes the report of an objective-isolation experiment (made by \`deltascope run\`)
as ONE self-contained HTML file — spec, reward similarity, training curves, the
negation table and α plots, per-tensor concentration of the relevance maps,
localization, the known-answer check, and statements of what the numbers show —
plus its tables as CSV files next to it (<name>-negation.csv, <name>-success.csv, …).
A partly run experiment gives a partial report. The folder must exist; existing
files are refused unless --force is given (the database never).

--known-answer first runs the known-answer checks (spike-in calibration and
observation ground truth) on every replication and stores them, as the app's
"Run the known-answer checks" does; the report then pools them (fewer than 3
replications checked is "not replicated").`,
  options: {
    db: {
      type: 'string',
      value: '<file>',
      required: 'report needs --db <file.deltascope>.',
      help: 'the database holding the experiment (required)',
    },
    out: {
      type: 'string',
      value: '<file>',
      required: 'report needs --out <report.html>.',
      help: 'the .html file to write (required)',
    },
    force: { type: 'boolean', help: 'overwrite existing report and table files' },
    'known-answer': {
      type: 'boolean',
      help: 'run the known-answer checks on every replication first (stored in the database)',
    },
  },
  args: { count: 1, message: 'report needs exactly one experiment id.' },
  async run({ values, positionals }, io) {
    const experimentId = Number(positionals[0]!.replace(/^#/, ''));
    if (!Number.isSafeInteger(experimentId) || experimentId < 1)
      throw new UsageError(`the experiment id must be a positive integer; got "${positionals[0]}".`);
    const db = openDatabase(values.db);
    try {
      if (values['known-answer'] === true) {
        runKnownAnswerChecksOnEveryReplication(db, experimentId, (...heard) =>
          io.out(knownAnswerChecksLine(...heard)),
        );
      }
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
});
