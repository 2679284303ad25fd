import { APP_VERSION } from '../api';
import { aggregateCommand } from './aggregate-command';
import { DeltascopeError, toErrorPayload } from '../shared';
import { mergeCommand, retryCommand, statusCommand, taskCommandCli } from './cluster-commands';
import { combineCommand } from './combine-command';
import { UsageError, type CliCommand, type CliIo } from './command';
import { diffCommand } from './diff-command';
import { evalCommand } from './eval-command';
import { exportCommand } from './export-command';
import { importCommand } from './import-command';
import { infoCommand } from './info-command';
import { reportCommand } from './report-command';
import { runCommand } from './run-command';
import { serveCommand } from './serve-cli-command';
import { trainCommand } from './train-command';

export const COMMANDS: CliCommand[] = [
  infoCommand,
  trainCommand,
  runCommand,
  reportCommand,
  serveCommand,
  evalCommand,
  importCommand,
  exportCommand,
  diffCommand,
  combineCommand,
  aggregateCommand,
  statusCommand,
  retryCommand,
  mergeCommand,
  taskCommandCli,
];

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    `Deltascope ${APP_VERSION} — where does an RL agent keep its objective?`,
    '',
    'Usage: deltascope <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Run `deltascope <command> --help` for a command’s options.',
  ].join('\n');
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(mainHelp());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    io.out(APP_VERSION);
    return 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    io.err(`deltascope: unknown command "${name}".\n\n${mainHelp()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.err(
        `deltascope ${command.name}: ${(error as Error).message}\nRun \`deltascope ${command.name} --help\` for usage.`,
      );
      return 2;
    }
    const payload = toErrorPayload(error);
    io.err(`deltascope ${command.name}: ${payload.message}`);
    if (!(error instanceof DeltascopeError) && error instanceof Error && error.stack) io.err(error.stack);
    return 1;
  }
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
