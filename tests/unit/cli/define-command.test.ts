import { describe, expect, it } from 'vitest';
import { COMMANDS, runCli } from '../../../src-main/cli/main';
import { defineCommand } from '../../../src-main/cli/define-command';

function io(): { out: string[]; err: string[]; io: { out: (l: string) => void; err: (l: string) => void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l) => out.push(l), err: (l) => err.push(l) } };
}

/** The long option names an --help text lists under "Options:". */
function listedOptions(help: string): string[] {
  const section = help.slice(help.indexOf('\nOptions:\n'));
  return [...section.matchAll(/^ {2}(?:-\w, )?--([a-z][a-z-]*)/gm)].map((m) => m[1]!).sort();
}

describe('the CLI commands', () => {
  it.each(COMMANDS.map((command) => [command.name, command] as const))(
    '%s --help lists exactly the options it parses',
    async (_name, command) => {
      const { out, io: sink } = io();
      expect(await runCli([command.name, '--help'], sink)).toBe(0);
      const help = out.join('\n');
      expect(help).toBe(command.help);
      expect(listedOptions(help)).toEqual(Object.keys(command.options).sort());
    },
  );
});

describe('defineCommand', () => {
  const seen: unknown[] = [];
  const command = defineCommand({
    name: 'demo',
    summary: 'a demo',
    usage: 'demo <x> --db <file.deltascope>',
    description: 'Does a demo.',
    options: {
      db: {
        type: 'string',
        value: '<file>',
        required: 'demo needs --db <file.deltascope>.',
        help: 'the database',
      },
      jobs: { type: 'string', value: '<n>', default: '2', help: 'jobs at once' },
      bind: { type: 'string', value: 'NAME=ID', multiple: true, help: 'a binding\n(repeatable)' },
      json: { type: 'boolean', help: 'print JSON' },
    },
    args: { count: 1, message: 'demo needs exactly one x.' },
    async run({ values, positionals }) {
      seen.push({ values: { ...values }, positionals });
      return 0;
    },
  });

  it('writes the help from the declaration, defaults and continuation lines included', () => {
    expect(command.help).toBe(
      [
        'Usage: deltascope demo <x> --db <file.deltascope>',
        '',
        'Does a demo.',
        '',
        'Options:',
        '  --db <file>     the database',
        '  --jobs <n>      jobs at once (default 2)',
        '  --bind NAME=ID  a binding',
        '                  (repeatable)',
        '  --json          print JSON',
        '  -h, --help      show this help',
      ].join('\n'),
    );
  });

  it('parses typed values with defaults and repeats', async () => {
    const { io: sink } = io();
    const code = await command.run(['x1', '--db', 'a.deltascope', '--bind', 'A=1', '--bind', 'B=2'], sink);
    expect(code).toBe(0);
    expect(seen.at(-1)).toEqual({
      values: { db: 'a.deltascope', jobs: '2', bind: ['A=1', 'B=2'] },
      positionals: ['x1'],
    });
  });

  it('reports usage mistakes (wrong argument count first, then a missing required option) with exit code 2', async () => {
    COMMANDS.push(command);
    try {
      const noArgs = io();
      expect(await runCli(['demo'], noArgs.io)).toBe(2);
      expect(noArgs.err.join('\n')).toContain('demo needs exactly one x.');
      const noDb = io();
      expect(await runCli(['demo', 'x1'], noDb.io)).toBe(2);
      expect(noDb.err.join('\n')).toContain('demo needs --db <file.deltascope>.');
      const unknown = io();
      expect(await runCli(['demo', 'x1', '--db', 'a', '--nope'], unknown.io)).toBe(2);
      expect(unknown.err.join('\n')).toContain("Unknown option '--nope'");
      expect(unknown.out).toEqual([]);
    } finally {
      COMMANDS.pop();
    }
  });
});
