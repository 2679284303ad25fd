#!/usr/bin/env node
// Entry of the `deltascope` command: builds the main side (native kernels and bundle) on first use,
// then runs the CLI.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { execFileSync } = require('node:child_process');

const root = join(__dirname, '..');
const cli = join(root, 'out', 'main', 'cli.cjs');
if (!existsSync(cli)) {
  execFileSync(process.execPath, [join(root, 'scripts', 'build-main.mjs')], { cwd: root, stdio: 'inherit' });
}
require(cli);
