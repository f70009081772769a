// What the records cost on disk, read from a second connection to the database while
// Streamtap runs (WAL: readers see committed data and never block the writer).
//   rowBytes   the payload of every table and index b-tree (SQLite's dbstat virtual
//              table): the bytes of the rows themselves, whatever the page layout
//   fileBytes  (page_count − freelist_count) × page_size: the pages in use, what the
//              database file grows by
// The benchmark takes the difference before and after a workload.

import Database from 'better-sqlite3';

export interface StorageSnapshot {
  rowBytes: number | null;
  fileBytes: number;
  /** rowBytes per table or index */
  byObject: Record<string, number>;
}

export class StorageReader {
  private readonly db: Database.Database;
  readonly hasDbstat: boolean;

  constructor(readonly file: string) {
    this.db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      this.db.prepare('select 1 from dbstat limit 1').all();
      this.hasDbstat = true;
    } catch {
      this.hasDbstat = false;
    }
  }

  snapshot(): StorageSnapshot {
    const pageSize = Number(this.db.pragma('page_size', { simple: true }));
    const pages = Number(this.db.pragma('page_count', { simple: true }));
    const free = Number(this.db.pragma('freelist_count', { simple: true }));
    const byObject: Record<string, number> = {};
    let rowBytes: number | null = null;
    if (this.hasDbstat) {
      rowBytes = 0;
      // aggregate = true: one row per b-tree rather than one per page
      for (const r of this.db.prepare('select name, payload from dbstat where aggregate = true').all() as { name: string; payload: number }[]) {
        byObject[r.name] = r.payload;
        rowBytes += r.payload;
      }
    }
    return { rowBytes, fileBytes: (pages - free) * pageSize, byObject };
  }

  /** Rows with a settled outcome (anything but in_progress): how far the recording got. */
  settledCount(): number {
    return (this.db.prepare("select count(*) as n from requests where outcome != 'in_progress'").get() as { n: number }).n;
  }

  close(): void {
    this.db.close();
  }
}

export interface StorageDelta {
  rowBytes: number | null;
  fileBytes: number;
  byObject: Record<string, number>;
}

export function delta(before: StorageSnapshot, after: StorageSnapshot): StorageDelta {
  const byObject: Record<string, number> = {};
  for (const k of new Set([...Object.keys(before.byObject), ...Object.keys(after.byObject)])) byObject[k] = (after.byObject[k] ?? 0) - (before.byObject[k] ?? 0);
  return {
    rowBytes: before.rowBytes === null || after.rowBytes === null ? null : after.rowBytes - before.rowBytes,
    fileBytes: after.fileBytes - before.fileBytes,
    byObject,
  };
}
