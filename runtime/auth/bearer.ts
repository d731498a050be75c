// The bearer token of a request, and the one claim we read from it without verifying it: its
// expiry, so a cached "authenticated" never outlives the token itself.

/** The token of `Authorization: Bearer <token>`; undefined for any other header (or none). */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer +([^\s]+) *$/i.exec(header);
  return m?.[1];
}

/**
 * The `exp` claim (ms since the epoch) of a JWT, or undefined when the token is not a JWT or has
 * none. Unverified: only ever used to shorten a cache entry, never to accept a token.
 */
export function jwtExpiryMs(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
