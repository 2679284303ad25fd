#!/usr/bin/env node
// Entry of the `deltascope` command: builds the main side on first use, then runs the CLI.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { execFileSync } = require('node:child_process');

const root = join(__dirname, '..');
const cli = join(root, 'out', 'main', 'cli.cjs');
if (!existsSync(cli)) {
  // the native kernels first (optional: a failed build only warns), then the bundle
  for (const script of ['build-native.mjs', 'build-main.mjs']) {
    execFileSync(process.execPath, [join(root, 'scripts', script)], { cwd: root, stdio: 'inherit' });
  }
}
require(cli);
