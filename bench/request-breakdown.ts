// What the operator's API requests were for, from its own request records (--api-request-log):
// per verb and resource (with the subresource), lease renewals left out, in a time window.
import { isLeaseRequest, readRequestLog } from '../test/support/request-log.ts';

/** `PATCH statefulsets`, `PATCH journals/status`, `POST events`... */
export function requestKind(method: string, path: string): string {
  const parts = path.split('/').filter((p) => p !== '');
  // /api/v1/... or /apis/<group>/<version>/...; then optionally namespaces/<ns>; then <plural>[/<name>[/<sub>]].
  let rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  if (rest[0] === 'namespaces' && rest.length > 2) rest = rest.slice(2);
  const [plural = '?', , sub] = rest;
  return `${method} ${plural}${sub ? `/${sub}` : ''}`;
}

/** Requests that ended between `fromMs` and `toMs`, per kind, divided by `per` (Clusters). */
export function requestBreakdown(file: string, fromMs: number, toMs: number, per: number): Record<string, number> {
  const counts = new Map<string, number>();
  for (const r of readRequestLog(file)) {
    if (r.at !== 'done' || isLeaseRequest(r)) continue;
    const t = Date.parse(r.time);
    if (t < fromMs || t > toMs) continue;
    const k = requestKind(r.method, r.path);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round((v / per) * 100) / 100]));
}
