import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { APP_VERSION, ApiService, EventBus, defaultAppDataDir } from '../api';
import { DeltascopeError } from '../shared';
import { startServer, type RunningServer } from './http-server';

export const SERVE_HELP = `Usage: deltascope serve [--db <file.deltascope>] [--port <n>] [--static <dir>]

Starts Deltascope headless: the same API as the desktop app, over HTTP + WebSocket on
127.0.0.1 only, and the real UI for a browser. Prints the URL to open; it carries a
per-launch token, and requests without it are refused.
To use a remote training box, forward the port: ssh -L 5183:127.0.0.1:5183 box, then
open the printed URL with the same port on your machine.

Options:
  --db <file>      database to open at start, created if it does not exist (default: the default
                   database in the app-data folder)
  --port <n>       port to listen on (default 5183; 0 picks a free one)
  --static <dir>   folder of the built renderer (default: out/renderer next to this program)
  -h, --help       show this help`;

/** The options `SERVE_HELP` lists (a test checks that the two agree). */
export const SERVE_OPTIONS = {
  db: { type: 'string' },
  port: { type: 'string', default: '5183' },
  static: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Folder of the built renderer: next to the bundle (out/main → out/renderer), else ./out/renderer. */
export function defaultStaticDir(): string | null {
  const candidates = [
    typeof __dirname === 'string' ? join(__dirname, '..', 'renderer') : null,
    process.argv[1] ? join(dirname(resolve(process.argv[1])), '..', 'renderer') : null,
    resolve('out', 'renderer'),
  ];
  for (const candidate of candidates) {
    if (candidate && existsSync(join(candidate, 'index.html'))) return candidate;
  }
  return null;
}

/** Runs the headless server until SIGINT/SIGTERM. Returns the server so tests can close it. */
export async function runServe(
  argv: string[],
  log: (line: string) => void = console.log,
): Promise<RunningServer | null> {
  const { values } = parseArgs({
    args: argv,
    options: SERVE_OPTIONS,
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    log(SERVE_HELP);
    return null;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new DeltascopeError(
      'INVALID_PAYLOAD',
      `--port must be an integer between 0 and 65535, got "${values.port}".`,
    );
  }
  const staticDir = values.static ? resolve(values.static) : defaultStaticDir();
  if (!staticDir) log('warning: the renderer is not built (run `npm run build`); serving the API only.');

  const bus = new EventBus();
  const service = new ApiService({
    appDataDir: defaultAppDataDir(),
    mode: 'browser',
    version: APP_VERSION,
    bus,
  });
  if (values.db) {
    // a path that does not exist yet becomes a new database (as `train` and `run` do); an existing
    // file must be a Deltascope database, and is refused untouched otherwise
    const created = !existsSync(resolve(values.db));
    service.openPath(values.db, created ? 'create' : 'open');
    if (created) log(`Created a new database: ${service.database().path}`);
  } else service.openPath(service.defaultDatabasePath, 'default');

  const server = await startServer({ handlers: service.handlers, bus, staticDir, port });
  log(`Deltascope ${APP_VERSION} is serving ${server.url}`);
  log(`Database: ${service.database().path}`);
  log('Press Ctrl+C to stop.');

  const stop = () => {
    log('Stopping: running jobs write their last checkpoint first…');
    void server
      .close()
      .then(() => service.disposeJobs())
      .finally(() => {
        service.dispose();
        process.exit(0);
      });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return server;
}
