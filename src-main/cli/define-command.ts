import { parseArgs } from 'node:util';
import { UsageError, type CliCommand, type CliIo } from './command';

/**
 * One place that turns a command's declaration (usage, description, options with their types,
 * defaults and help) into both its `--help` text and its argument parsing, so the two cannot
 * disagree. Every command gets `-h, --help`; unknown options and usage mistakes exit with 2.
 */

export interface CliOption {
  type: 'string' | 'boolean';
  /** How a string option's value is shown in the help, e.g. `<file>`. */
  value?: string;
  short?: string;
  /** Repeatable (string options): the values in order. */
  multiple?: boolean;
  /** Used when the option is absent; the help adds "(default …)". */
  default?: string;
  /** When the option is absent, the usage mistake to report (after the positional check). */
  required?: string;
  /** One line, or several separated by \n (the later ones indented under the first). */
  help: string;
}

export type CliOptions = Record<string, CliOption>;

type ValueOf<O extends CliOption> = O['type'] extends 'boolean'
  ? boolean | undefined
  : O['multiple'] extends true
    ? string[] | undefined
    : O['default'] extends string
      ? string
      : O['required'] extends string
        ? string
        : string | undefined;

export type CliValues<O extends CliOptions> = { [K in keyof O]: ValueOf<O[K]> };

export interface CommandSpec<O extends CliOptions> {
  name: string;
  summary: string;
  /** What follows `Usage: deltascope ` in the help. */
  usage: string;
  /** The paragraphs (and examples) between the usage line and the options. */
  description: string;
  options: O;
  /** How many positional arguments the command takes, and the mistake to report otherwise. */
  args?: { count: number; message: string };
  run(input: { values: CliValues<O>; positionals: string[] }, io: CliIo): Promise<number>;
}

const HELP_OPTION: CliOption = { type: 'boolean', short: 'h', help: 'show this help' };

/** The `Options:` lines: flags in one column, help (and default) in the next. */
export function formatOptions(options: CliOptions): string[] {
  const entries = Object.entries(options).map(([name, option]) => {
    const flag = `${option.short === undefined ? '' : `-${option.short}, `}--${name}${option.value === undefined ? '' : ` ${option.value}`}`;
    const help = option.default === undefined ? option.help : `${option.help} (default ${option.default})`;
    return { flag, lines: help.split('\n') };
  });
  const width = Math.max(...entries.map((entry) => entry.flag.length));
  return entries.flatMap(({ flag, lines }) =>
    lines.map((line, i) => `  ${(i === 0 ? flag : '').padEnd(width)}  ${line}`.trimEnd()),
  );
}

export function defineCommand<O extends CliOptions>(spec: CommandSpec<O>): CliCommand {
  const options: CliOptions = { ...spec.options, help: HELP_OPTION };
  const help = [
    `Usage: deltascope ${spec.usage}`,
    '',
    spec.description,
    '',
    'Options:',
    ...formatOptions(options),
  ].join('\n');
  return {
    name: spec.name,
    summary: spec.summary,
    help,
    options,
    async run(argv, io) {
      const { values, positionals } = parseArgs({
        args: argv,
        options: Object.fromEntries(
          Object.entries(options).map(([name, o]) => [
            name,
            {
              type: o.type,
              ...(o.short === undefined ? {} : { short: o.short }),
              ...(o.multiple === true ? { multiple: true } : {}),
              ...(o.default === undefined ? {} : { default: o.default }),
            },
          ]),
        ),
        allowPositionals: true,
        strict: true,
      });
      if (values.help === true) {
        io.out(help);
        return 0;
      }
      if (spec.args !== undefined && positionals.length !== spec.args.count)
        throw new UsageError(spec.args.message);
      for (const [name, option] of Object.entries(spec.options)) {
        if (option.required !== undefined && values[name] === undefined)
          throw new UsageError(option.required);
      }
      // parseArgs typed the values by the declaration above; CliValues<O> says the same per option.
      return spec.run({ values: values as CliValues<O>, positionals }, io);
    },
  };
}
