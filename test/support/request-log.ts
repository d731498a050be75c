// Reading the operator's own record of its API requests (--api-request-log): one JSON line per
// write when it leaves, and per request when it ends.
import { existsSync, readFileSync } from 'node:fs';

export interface RequestRecord {
  at: 'sent' | 'done';
  /** When the request was started (ISO time). */
  time: string;
  method: string;
  path: string;
  query?: string;
  code?: number | string;
  ms?: number;
}

export function readRequestLog(file: string): RequestRecord[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as RequestRecord);
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Writes as they left the process, in time order, with their time in ms since the epoch. */
export function writesSent(records: RequestRecord[]): Array<RequestRecord & { t: number }> {
  return records
    .filter((r) => r.at === 'sent' && WRITES.has(r.method))
    .map((r) => ({ ...r, t: Date.parse(r.time) }))
    .sort((a, b) => a.t - b.t);
}

export function isLeaseRequest(r: RequestRecord): boolean {
  return r.path.includes('/apis/coordination.k8s.io/');
}
