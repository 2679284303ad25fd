import { closeSync, openSync, readSync } from 'node:fs';
/**
 * Reads the fixed-layout SQLite file header (https://sqlite.org/fileformat.html#the_database_header)
 * without SQLite, so that a file can be refused before any library touches it.
 */

/** Bytes to read: the 100-byte file header plus the 8-byte b-tree header of page 1 (the schema table). */
export const HEADER_BYTES = 108;

/** The first HEADER_BYTES bytes of the file at `path` (fewer for a smaller file); throws what fs throws. */
export function readHeaderBytes(path: string): Uint8Array {
  const head = new Uint8Array(HEADER_BYTES);
  const fd = openSync(path, 'r');
  try {
    return head.subarray(0, readSync(fd, head, 0, HEADER_BYTES, 0));
  } finally {
    closeSync(fd);
  }
}

const MAGIC = 'SQLite format 3\0';
const MIN_PAGE_SIZE = 512;
const LEAF_TABLE_PAGE = 0x0d;

export interface SqliteHeader {
  pageSize: number;
  /** Page count stored in the header, or null when SQLite itself would not trust that field. */
  pageCount: number | null;
  /** Journal mode is WAL (read/write format versions are 2). */
  walMode: boolean;
  userVersion: number;
  applicationId: number;
  /** The schema table holds no rows: no tables, indexes, views or triggers. */
  schemaEmpty: boolean;
}

export type HeaderReading =
  { kind: 'not-sqlite' } | { kind: 'damaged'; problem: string } | { kind: 'ok'; header: SqliteHeader };

/** Classifies the first bytes of a file; `bytes` may be shorter than HEADER_BYTES for tiny files. */
export function readSqliteHeader(bytes: Uint8Array): HeaderReading {
  if (bytes.length < MAGIC.length || !hasMagic(bytes)) return { kind: 'not-sqlite' };
  if (bytes.length < HEADER_BYTES) {
    return {
      kind: 'damaged',
      problem: `truncated: expected at least ${MIN_PAGE_SIZE} bytes, found ${bytes.length}`,
    };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rawPageSize = view.getUint16(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  if (!isValidPageSize(pageSize)) {
    return { kind: 'damaged', problem: `its header is damaged (page size ${rawPageSize})` };
  }
  const changeCounter = view.getUint32(24);
  const storedPageCount = view.getUint32(28);
  const versionValidFor = view.getUint32(92);
  return {
    kind: 'ok',
    header: {
      pageSize,
      pageCount: storedPageCount > 0 && changeCounter === versionValidFor ? storedPageCount : null,
      walMode: bytes[18] === 2 || bytes[19] === 2,
      userVersion: view.getInt32(60),
      applicationId: view.getInt32(68),
      schemaEmpty: bytes[100] === LEAF_TABLE_PAGE && view.getUint16(103) === 0,
    },
  };
}

/** expected = pageSize · pageCount, or null when the header does not say. */
export function expectedFileSize(header: SqliteHeader): number | null {
  return header.pageCount === null ? null : header.pageSize * header.pageCount;
}

function hasMagic(bytes: Uint8Array): boolean {
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC.charCodeAt(i)) return false;
  return true;
}

function isValidPageSize(size: number): boolean {
  return size >= MIN_PAGE_SIZE && size <= 65536 && (size & (size - 1)) === 0;
}
