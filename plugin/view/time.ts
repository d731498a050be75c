// Timestamps as the view-model keeps them: RFC 3339 strings, as the API sent them. The
// client-node types call them Date, so both are taken.
export function isoOf(value: Date | string | undefined | null): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return undefined;
  return typeof value === 'string' ? value : d.toISOString();
}
