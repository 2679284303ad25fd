import { describe, expect, it } from 'vitest';
import {
  joinPath,
  newDatabasePath,
  parentDir,
  pathSeparator,
  resolveTypedPath,
  typedPathAction,
  withDeltascopeExtension,
} from '../../../../../src-renderer/components/database/file-dialog-paths';

describe('file dialog paths', () => {
  it('detects the separator of the machine that owns the path', () => {
    expect(pathSeparator('/home/ada')).toBe('/');
    expect(pathSeparator('C:\\Users\\ada')).toBe('\\');
    expect(joinPath('C:\\Users\\ada', 'x.deltascope')).toBe('C:\\Users\\ada\\x.deltascope');
    expect(joinPath('/', 'tmp')).toBe('/tmp');
    expect(joinPath('/home/ada', 'runs')).toBe('/home/ada/runs');
  });

  it('finds the folder of a file', () => {
    expect(parentDir('/data/runs/a.deltascope')).toBe('/data/runs');
    expect(parentDir('/a.deltascope')).toBe('/');
    expect(parentDir('C:\\a.deltascope')).toBe('C:\\');
    expect(parentDir('a.deltascope')).toBeNull();
  });

  it('adds the .deltascope extension only when missing', () => {
    expect(withDeltascopeExtension('maze')).toBe('maze.deltascope');
    expect(withDeltascopeExtension('maze.deltascope')).toBe('maze.deltascope');
    expect(withDeltascopeExtension('MAZE.DELTASCOPE')).toBe('MAZE.DELTASCOPE');
  });

  it('resolves typed paths against the listed folder and the home folder', () => {
    expect(resolveTypedPath('  sub/x.deltascope ', '/data', '/home/ada')).toBe('/data/sub/x.deltascope');
    expect(resolveTypedPath('~/x.deltascope', '/data', '/home/ada')).toBe('/home/ada/x.deltascope');
    expect(resolveTypedPath('/abs', '/data', '/home/ada')).toBe('/abs');
    expect(resolveTypedPath('D:\\runs', 'C:\\x', 'C:\\Users\\ada')).toBe('D:\\runs');
  });

  it('opens typed .deltascope paths and lists anything else', () => {
    expect(typedPathAction('/tmp/not-a-db.deltascope', '/data', '/home')).toEqual({
      kind: 'open',
      path: '/tmp/not-a-db.deltascope',
    });
    expect(typedPathAction('..', '/data/runs', '/home')).toEqual({ kind: 'list', path: '/data/runs/..' });
  });

  it('builds the path of a new database from a bare name', () => {
    expect(newDatabasePath('objectives', '/data', '/home/ada')).toBe('/data/objectives.deltascope');
    expect(newDatabasePath('~/x', '/data', '/home/ada')).toBe('/home/ada/x.deltascope');
  });
});
