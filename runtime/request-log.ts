// The request log (--api-request-log): one JSON line per request, written synchronously so that a
// process killed the next moment still leaves the record of what it sent. `{"at":"sent",...}` when
// a write leaves, `{"at":"done",...}` with the code when any request ends. Audits read it: which
// calls does the operator make, and did a replica write after it lost the lease.
import { writeSync } from 'node:fs';
import { WRITE_METHODS, type RequestInfo, type RequestObserver } from './rest.ts';

export function requestLog(fd: number): RequestObserver {
  const write = (line: Record<string, unknown>): void => {
    try {
      writeSync(fd, `${JSON.stringify(line)}\n`);
    } catch {
      // A full disk must not fail the request the record is about.
    }
  };
  const fields = (r: RequestInfo): Record<string, unknown> => ({ method: r.method, path: r.path, query: r.query || undefined });
  return {
    sent(r) {
      if (WRITE_METHODS.has(r.method)) write({ at: 'sent', time: new Date().toISOString(), ...fields(r) });
    },
    done(r, code) {
      write({ at: 'done', time: new Date(r.startedMs).toISOString(), ms: Date.now() - r.startedMs, ...fields(r), code });
    },
  };
}
