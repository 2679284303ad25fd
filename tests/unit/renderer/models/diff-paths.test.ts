import { describe, expect, it } from 'vitest';
import { diffPaths } from '../../../../src-renderer/models/diff-paths';

describe('diffPaths', () => {
  it('makes the first path A and the second B, trimmed', () => {
    expect(diffPaths([' /models/base ', '/models/rl-tuned/'])).toEqual({
      ok: true,
      a: { file: '/models/base' },
      b: { file: '/models/rl-tuned/' },
    });
  });

  it('asks for two paths, naming how many came', () => {
    expect(diffPaths(['/m/a'])).toMatchObject({
      ok: false,
      field: null,
      message: /two models .*\(1 given\)/,
    });
    expect(diffPaths(['/a', '/b', '/c'])).toMatchObject({ ok: false, message: /exactly two .*\(3 given\)/ });
  });

  it('names the empty field and what it should hold', () => {
    expect(diffPaths(['', '/b'])).toMatchObject({
      ok: false,
      field: 'a',
      message: /path of A: .*safetensors/,
    });
    expect(diffPaths(['/a', '  '])).toMatchObject({ ok: false, field: 'b', message: /path of B/ });
  });

  it('refuses the same model twice, however the path is spelled', () => {
    expect(diffPaths(['/m/base', '/m/./base/'])).toMatchObject({
      ok: false,
      field: 'b',
      message: /same path/,
    });
  });
});
