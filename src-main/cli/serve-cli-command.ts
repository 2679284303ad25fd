import { runServe, SERVE_HELP, SERVE_OPTIONS } from '../server';
import type { CliCommand } from './command';

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'run headless and serve the UI to a browser on 127.0.0.1',
  help: SERVE_HELP,
  // Parsed by the server's own entry too (out/main/serve.cjs), so declared there.
  options: SERVE_OPTIONS,
  async run(argv, io) {
    const server = await runServe(argv, io.out);
    if (!server) return 0;
    // Keep running until a signal stops the server (runServe installs the handlers).
    await new Promise<never>(() => undefined);
    return 0;
  },
};
