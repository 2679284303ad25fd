// `npm start`: runs the desktop app from this checkout. better-sqlite3 in node_modules is compiled
// for Node (the tests and the headless server use it); Electron has its own ABI, so this script
// prepares a second copy of the native addon built for Electron under out/native/ and points the
// store at it (DELTASCOPE_SQLITE_BINDING). Needs network the first time: Electron's binary and
// either a prebuilt addon or Electron's headers. Packaged apps do not need this (electron-builder
// rebuilds the addon at package time).
import { spawnSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const root = resolve(import.meta.dirname, '..');
const electronVersion = require('electron/package.json').version;
const target = join(root, 'out', 'native', `electron-${electronVersion}-${process.platform}-${process.arch}`);
const binding = join(target, 'better_sqlite3.node');

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit', shell: process.platform === 'win32' });
  return result.status === 0;
}

if (!existsSync(binding)) {
  console.log(`Preparing better-sqlite3 for Electron ${electronVersion} (one time)…`);
  const work = join(root, 'out', 'native', 'build-better-sqlite3');
  rmSync(work, { recursive: true, force: true });
  const source = resolve(require.resolve('better-sqlite3/package.json'), '..');
  cpSync(source, work, { recursive: true, filter: (path) => !path.includes(`${join(source, 'build')}`) });
  const prebuild = resolve(require.resolve('prebuild-install/package.json'), '..', 'bin.js');
  const ok =
    run(
      process.execPath,
      [prebuild, '--runtime', 'electron', '--target', electronVersion, '--arch', process.arch],
      work,
    ) ||
    run(
      'npx',
      [
        '--yes',
        'node-gyp',
        'rebuild',
        '--release',
        `--target=${electronVersion}`,
        `--arch=${process.arch}`,
        '--dist-url=https://electronjs.org/headers',
      ],
      work,
    );
  const built = join(work, 'build', 'Release', 'better_sqlite3.node');
  if (!ok || !existsSync(built)) {
    console.error(
      'Could not get better-sqlite3 for Electron (no network?). The headless mode works offline: npm run serve',
    );
    process.exit(1);
  }
  mkdirSync(target, { recursive: true });
  copyFileSync(built, binding);
  rmSync(work, { recursive: true, force: true });
}

let electronBinary;
try {
  electronBinary = require('electron'); // downloads Electron's binary on first use
} catch (error) {
  console.error(
    `Electron's binary is not available (${error.message}). The headless mode works offline: npm run serve`,
  );
  process.exit(1);
}
const child = spawn(electronBinary, [root, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, DELTASCOPE_SQLITE_BINDING: binding },
});
child.on('exit', (code) => process.exit(code ?? 0));
