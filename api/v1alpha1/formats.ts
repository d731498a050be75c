// The string and number formats the CRD schemas use, for ajv: at generation time to compile the
// validators, and at run time, where the generated code (validators.generated.ts) imports them.
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export const AJV_FORMATS = {
  'date-time': RFC3339,
  int32: { type: 'number', validate: (n: number): boolean => n >= -(2 ** 31) && n < 2 ** 31 },
  int64: { type: 'number', validate: (n: number): boolean => Number.isSafeInteger(n) },
} as const;
