import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExperimentSpecSchema } from '../../shared/experiment-spec';
import { DeltascopeError, specFieldErrors, type ProtocolPreset } from '../../shared';
import { jsonSyntaxProblem } from '../../weights';

/**
 * The experiment presets (resources/experiments/*.json). The folder is three levels above this code
 * from source (src-main/api/protocol → resources) and two in the bundle (out/main → resources); a
 * packaged app must ship `resources/experiments/**` next to `out/`.
 */

function moduleDir(): string {
  return typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
}

/** The presets folder: `override`, else resources/experiments above this module, or in the working directory. */
export function presetsDir(override?: string): string {
  if (override !== undefined) return override;
  const candidates = [
    join(moduleDir(), '..', '..', 'resources', 'experiments'),
    join(moduleDir(), '..', '..', '..', 'resources', 'experiments'),
    join(process.cwd(), 'resources', 'experiments'),
  ];
  const found = candidates.find((dir) => existsSync(dir));
  if (found === undefined) {
    throw new DeltascopeError(
      'FILE_NOT_FOUND',
      `The experiment presets folder is missing (looked in ${candidates.join(' and ')}).`,
    );
  }
  return found;
}

/** Every `*.json` of the folder, sorted by file name, with its validation errors (null when valid). */
export function listPresets(dir: string): ProtocolPreset[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file): ProtocolPreset => {
      const path = join(dir, file);
      let raw: unknown;
      let text = '';
      try {
        text = readFileSync(path, 'utf8');
        raw = JSON.parse(text);
      } catch (error) {
        return {
          id: basename(file, '.json'),
          file: path,
          name: basename(file, '.json'),
          spec: {},
          errors: [{ path: '', message: `not valid JSON: ${jsonSyntaxProblem(error, text)}` }],
        };
      }
      const spec = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? raw : {};
      const parsed = ExperimentSpecSchema.safeParse(raw);
      const name = (spec as { name?: unknown }).name;
      return {
        id: basename(file, '.json'),
        file: path,
        name: typeof name === 'string' ? name : basename(file, '.json'),
        spec: spec as Record<string, unknown>,
        errors: parsed.success ? null : specFieldErrors(parsed.error),
      };
    });
}
