import { parseArgs } from 'node:util';
import { parseParams } from '../shared/validate';
import { UsageError, type CliCommand } from './command';
import { parseNumber, parseRef, withWeights } from './weights-cli';

const HELP = `Usage: deltascope combine '<formula>' --db <file.deltascope> [options]

Saves a linear combination of checkpoints as a new checkpoint and prints its id
(one id per line with --alpha-grid). #12 is checkpoint 12; names are bound with
--bind and --set. The result goes to a run of phase "derived" (default name
"derived") in the experiment of the formula's first checkpoint.

  deltascope combine '2*#12 - #31' --db runs.deltascope
  deltascope combine 'A - alpha*(B - A)' --bind A=12 --bind B=31 --alpha-grid 0,0.5,1 --db runs.deltascope

Options:
  --db <file>            the database (required)
  --bind NAME=ID         bind a name to a checkpoint (repeatable)
  --set NAME=NUMBER      bind a name to a number (repeatable)
  --alpha-grid a,b,…     save one checkpoint per value of \`alpha\`
  --label <text>         checkpoint label (default: the formula)
  --run-name <name>      derived run to save into (default "derived")
  --json                 print the saved checkpoints as JSON
  -h, --help             show this help`;

function pairs(values: string[] | undefined, what: string): [string, string][] {
  return (values ?? []).map((text) => {
    const at = text.indexOf('=');
    if (at < 1) throw new UsageError(`${what} expects NAME=VALUE; got "${text}"`);
    return [text.slice(0, at).trim(), text.slice(at + 1).trim()];
  });
}

export const combineCommand: CliCommand = {
  name: 'combine',
  summary: "save a linear combination of checkpoints, e.g. '2*#12 - #31'",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        db: { type: 'string' },
        bind: { type: 'string', multiple: true },
        set: { type: 'string', multiple: true },
        'alpha-grid': { type: 'string' },
        label: { type: 'string' },
        'run-name': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      io.out(HELP);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('combine needs exactly one formula (quote it).');
    if (values.db === undefined) throw new UsageError('--db <file.deltascope> is required.');
    const checkpoints = Object.fromEntries(
      pairs(values.bind, '--bind').map(([name, value]) => {
        const ref = parseRef(value);
        if (!('checkpointId' in ref))
          throw new UsageError(`--bind ${name} needs a checkpoint id; got "${value}"`);
        return [name, ref.checkpointId];
      }),
    );
    const scalars = Object.fromEntries(
      pairs(values.set, '--set').map(([name, value]) => [name, parseNumber(value, `--set ${name}`)]),
    );
    const grid = values['alpha-grid'];
    const params = parseParams('weights.combine', {
      formula: positionals[0],
      bindings: { checkpoints, scalars },
      ...(grid === undefined
        ? {}
        : { alphaGrid: grid.split(',').map((v) => parseNumber(v, '--alpha-grid')) }),
      ...(values.label === undefined ? {} : { label: values.label }),
      ...(values['run-name'] === undefined ? {} : { runName: values['run-name'] }),
    });
    const result = await withWeights(values.db, io, (handlers) => handlers['weights.combine'](params));
    if (values.json) io.out(JSON.stringify(result, null, 2));
    else for (const r of result.results) io.out(String(r.checkpoint.id));
    return 0;
  },
};
