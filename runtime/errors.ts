// Errors as values with a kind, so callers branch on `kind`, never on message text.

/** Returned or thrown by a reconciler for a failure that retrying cannot fix (bad input, a spec
 * that can never converge). It is logged and counted, and the key is not requeued. */
export class TerminalError extends Error {
  readonly kind = 'terminal' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/** A 409 that survived the retries on a fresh read; the key goes back with backoff. */
export class ConflictError extends Error {
  readonly kind = 'conflict' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConflictError';
  }
}

/** A failure worth retrying with backoff (the default for anything that is not terminal). */
/**
 * An object of the name the operator would write exists and is not controlled by the owner the
 * write names: somebody else's. Writing it would take it over (a forced server-side apply
 * overwrites its fields and adds our controller reference), so it is not written.
 */
export class NotControlledError extends Error {
  readonly kind = 'notControlled' as const;
  readonly objectKind: string;
  readonly namespace: string;
  readonly objectName: string;
  /** Who controls it instead: `Kind name`, or undefined for an object without a controller. */
  readonly controller: string | undefined;
  constructor(objectKind: string, namespace: string, objectName: string, controller: string | undefined) {
    super(`${objectKind} ${objectName} exists${controller ? ` and is controlled by ${controller}` : ' and was not made by the operator'}`);
    this.name = 'NotControlledError';
    this.objectKind = objectKind;
    this.namespace = namespace;
    this.objectName = objectName;
    this.controller = controller;
  }
}

/** One cause of a refusal, as a Status's details.causes lists it (the field and why). */
export interface StatusCause {
  field?: string;
  message?: string;
  reason?: string;
}

/** A non-2xx answer from the API server, with the Status object's reason (and causes) when it sent one. */
export class ApiError extends Error {
  readonly kind = 'api' as const;
  readonly statusCode: number;
  readonly reason: string;
  readonly method: string;
  readonly path: string;
  /** The Status's own message, without the method and path this error's message starts with. */
  readonly statusMessage: string;
  readonly causes: StatusCause[];
  constructor(statusCode: number, reason: string, message: string, method: string, path: string, causes: StatusCause[] = []) {
    super(`${method} ${path}: ${statusCode} ${reason}: ${message}`);
    this.name = 'ApiError';
    this.statusCode = statusCode;
    this.reason = reason;
    this.method = method;
    this.path = path;
    this.statusMessage = message;
    this.causes = causes;
  }
}

/** The watch went quiet for longer than the watchdog allows: the connection is presumed dead. */
export class WatchStalledError extends Error {
  readonly kind = 'stalled' as const;
  constructor(ms: number) {
    super(`no watch event or bookmark for ${ms} ms`);
    this.name = 'WatchStalledError';
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.statusCode === 404;
}

export function isConflict(err: unknown): boolean {
  return err instanceof ConflictError || (err instanceof ApiError && err.statusCode === 409 && err.reason === 'Conflict');
}

export function isAlreadyExists(err: unknown): boolean {
  return err instanceof ApiError && err.statusCode === 409 && err.reason === 'AlreadyExists';
}

export function isGone(err: unknown): boolean {
  return err instanceof ApiError && (err.statusCode === 410 || err.reason === 'Expired' || err.reason === 'Gone');
}

export function isTerminal(err: unknown): err is TerminalError {
  return err instanceof TerminalError;
}

/** A thrown value that signals a bug in the reconciler rather than a failure of the world: the
 * nearest thing JavaScript has to a Go panic, counted in controller_runtime_reconcile_panics_total. */
export function isProgrammerError(err: unknown): boolean {
  return !(err instanceof Error) || err instanceof TypeError || err instanceof ReferenceError || err instanceof RangeError || err instanceof SyntaxError;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
