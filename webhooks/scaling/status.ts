// The answers of the scaling API that are not a Scale: a Kubernetes `Status` (as the API server
// sends), so kubectl-style clients and client libraries read our refusals as they read its own.
import type { StatusCause } from '../../runtime/index.ts';

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  code: number;
  details?: { group?: string; kind?: string; name?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
}

/**
 * The metav1.StatusReason the API server gives for each code we answer with. Named apart from the
 * controllers' REASONS (the reasons of conditions and events), and used only here.
 */
const STATUS_REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  413: 'RequestEntityTooLarge',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

export function failure(code: number, message: string, details?: Status['details']): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: STATUS_REASONS[code] ?? 'Unknown', code, ...(details ? { details } : {}) };
}
