import { describe, expect, it } from 'vitest';
import { expectedFileSize, HEADER_BYTES, readSqliteHeader } from '../../../src-main/store/sqlite-header';

interface HeaderFields {
  pageSize?: number;
  pageCount?: number;
  changeCounter?: number;
  versionValidFor?: number;
  journal?: 1 | 2;
  userVersion?: number;
  applicationId?: number;
  schemaCells?: number;
}

/** The first 108 bytes of an SQLite file with the given header fields (big-endian, per the file format). */
function headerBytes(fields: HeaderFields = {}): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES);
  bytes.set(new TextEncoder().encode('SQLite format 3\0'), 0);
  const view = new DataView(bytes.buffer);
  view.setUint16(16, fields.pageSize ?? 4096);
  bytes[18] = fields.journal ?? 1;
  bytes[19] = fields.journal ?? 1;
  view.setUint32(24, fields.changeCounter ?? 5);
  view.setUint32(28, fields.pageCount ?? 10);
  view.setInt32(60, fields.userVersion ?? 0);
  view.setInt32(68, fields.applicationId ?? 0);
  view.setUint32(92, fields.versionValidFor ?? fields.changeCounter ?? 5);
  bytes[100] = 0x0d;
  view.setUint16(103, fields.schemaCells ?? 0);
  return bytes;
}

describe('readSqliteHeader', () => {
  it('reads page size, page count, journal mode, versions and whether the schema is empty', () => {
    const reading = readSqliteHeader(
      headerBytes({
        pageSize: 8192,
        pageCount: 12,
        journal: 2,
        userVersion: 3,
        applicationId: 0x44534350,
        schemaCells: 5,
      }),
    );
    expect(reading).toEqual({
      kind: 'ok',
      header: {
        pageSize: 8192,
        pageCount: 12,
        walMode: true,
        userVersion: 3,
        applicationId: 0x44534350,
        schemaEmpty: false,
      },
    });
    if (reading.kind === 'ok') expect(expectedFileSize(reading.header)).toBe(8192 * 12);
  });

  it('treats the stored page size 1 as 65536 bytes', () => {
    const reading = readSqliteHeader(headerBytes({ pageSize: 1 }));
    expect(reading.kind === 'ok' && reading.header.pageSize).toBe(65536);
  });

  it('does not trust the page count when the change counter and version-valid-for differ', () => {
    const reading = readSqliteHeader(headerBytes({ changeCounter: 9, versionValidFor: 8 }));
    expect(reading.kind === 'ok' && reading.header.pageCount).toBeNull();
    if (reading.kind === 'ok') expect(expectedFileSize(reading.header)).toBeNull();
  });

  it('recognises files that are not SQLite at all', () => {
    expect(
      readSqliteHeader(new TextEncoder().encode('hello, this is a text file that is long enough')),
    ).toEqual({ kind: 'not-sqlite' });
    expect(readSqliteHeader(new Uint8Array(0))).toEqual({ kind: 'not-sqlite' });
  });

  it('calls an SQLite file damaged when its header is cut short or its page size is impossible', () => {
    expect(readSqliteHeader(headerBytes().subarray(0, 50))).toEqual({
      kind: 'damaged',
      problem: 'truncated: expected at least 512 bytes, found 50',
    });
    expect(readSqliteHeader(headerBytes({ pageSize: 1000 }))).toEqual({
      kind: 'damaged',
      problem: 'its header is damaged (page size 1000)',
    });
  });
});
