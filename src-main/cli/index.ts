// Entry of the `deltascope` command (built to out/main/cli.cjs, run by bin/deltascope.cjs).
import { runCli } from './main';

runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  ...(process.stdout.isTTY ? { ttyWrite: (text: string) => process.stdout.write(text) } : {}),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`deltascope: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
