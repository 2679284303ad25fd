import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** The `key: value` lines of one top-level block of electron-builder.yml. */
function yamlBlock(text: string, key: string): Record<string, string> {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line === `${key}:`);
  if (start < 0) return {};
  const out: Record<string, string> = {};
  for (const line of lines.slice(start + 1)) {
    const match = /^ {2}([A-Za-z]+): (.+)$/.exec(line);
    if (match === null) break;
    out[match[1]!] = match[2]!.trim();
  }
  return out;
}

describe('the packaged app (electron-builder.yml)', () => {
  const config = readFileSync('electron-builder.yml', 'utf8');

  it('flips the Electron fuses: no run-as-node, NODE_OPTIONS or --inspect; encrypted cookies; asar only and checked', () => {
    expect(yamlBlock(config, 'electronFuses')).toEqual({
      runAsNode: 'false',
      enableNodeOptionsEnvironmentVariable: 'false',
      enableNodeCliInspectArguments: 'false',
      enableCookieEncryption: 'true',
      enableEmbeddedAsarIntegrityValidation: 'true',
      onlyLoadAppFromAsar: 'true',
      grantFileProtocolExtraPrivileges: 'false',
    });
    expect(config).toMatch(/^asar: true$/m);
  });

  it('needs no ELECTRON_RUN_AS_NODE anywhere in the shell (it is fused off)', () => {
    for (const file of ['main.ts', 'utility-launcher.ts']) {
      const source = readFileSync(`src-main/electron/${file}`, 'utf8');
      expect(source, file).not.toMatch(/ELECTRON_RUN_AS_NODE|child_process/);
    }
  });
});
