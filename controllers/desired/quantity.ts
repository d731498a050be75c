// Kubernetes quantities in the form the apiserver stores them (apimachinery's ParseQuantity and
// Quantity.CanonicalizeBytes, after core/v1 ResourceList defaulting). A StatefulSet is compared field by field with what the operator
// wants; were `cpu: 0.5` sent as written, the apiserver would keep `500m`, the two would never match,
// and an idle operator would re-apply it forever.

const DECIMAL_SUFFIX_EXPONENT: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX_POWER: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_SUFFIX_OF = Object.fromEntries(Object.entries(DECIMAL_SUFFIX_EXPONENT).map(([s, e]) => [e, s]));
const BINARY_SUFFIX_OF = Object.fromEntries(Object.entries(BINARY_SUFFIX_POWER).map(([s, p]) => [p, s]));
// The alternatives are tried in order, so `1E3` falls through the exa suffix to the exponent form.
const QUANTITY = /^([+-]?)(\d*)(?:\.(\d*))?(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$/;

type Format = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

const pow = (base: bigint, n: number): bigint => base ** BigInt(n);
const abs = (n: bigint): bigint => (n < 0n ? -n : n);

/**
 * The text kube-apiserver stores for a quantity in a core/v1 ResourceList (container resources, claim
 * requests): `0.5` → `500m`, `1024Mi` → `1Gi`, `1000` → `1k`, `1n` → `1m`. Like apimachinery, it keeps
 * the text as written when that is already canonical enough (`100Gi`, `1E3`), and ResourceList
 * defaulting rounds up to a thousandth. Text that is not a quantity is returned as it is, for the
 * apiserver to refuse with its own message.
 */
export function canonicalQuantity(input: string | number): string {
  const text = typeof input === 'number' ? numberText(input) : input.trim();
  const m = QUANTITY.exec(text);
  if (!m || ((m[2] ?? '') === '' && (m[3] ?? '') === '')) return String(input);
  const [, sign = '', whole = '', fraction = '', suffix, exponentText] = m;
  const shifted = `${whole}${fraction}`;

  // value = digits × 10^exp10, exactly.
  let digits = BigInt(shifted || '0') * (sign === '-' ? -1n : 1n);
  let exp10 = -fraction.length;
  let format: Format = 'DecimalSI';
  let exponent = 0;
  if (exponentText !== undefined) {
    format = 'DecimalExponent';
    exponent = Number(exponentText);
  } else if (suffix !== undefined && suffix in BINARY_SUFFIX_POWER) {
    format = 'BinarySI';
    exponent = 10 * (BINARY_SUFFIX_POWER[suffix] ?? 0);
    digits *= 2n ** BigInt(exponent);
  } else {
    exponent = DECIMAL_SUFFIX_EXPONENT[suffix ?? ''] ?? 0;
  }
  if (format !== 'BinarySI') exp10 += exponent;

  const kept = keptAsWritten(format, whole, fraction, exponent);
  // ResourceList defaulting rounds up (away from zero) to 1m and then forgets the text.
  if (exp10 < -3) {
    const divisor = pow(10n, -3 - exp10);
    const rounded = abs(digits) / divisor + (abs(digits) % divisor === 0n ? 0n : 1n);
    digits = digits < 0n ? -rounded : rounded;
    exp10 = -3;
  } else if (kept) {
    return text;
  }
  if (digits === 0n) return '0';

  if (format === 'BinarySI') {
    const integer = exp10 >= 0 ? digits * pow(10n, exp10) : digits % pow(10n, -exp10) === 0n ? digits / pow(10n, -exp10) : undefined;
    // Small or fractional values read better (and lose nothing) in decimal.
    if (integer !== undefined && abs(integer) >= 1024n) return binaryText(integer);
    format = 'DecimalSI';
  }
  return decimalText(digits, exp10, format);
}

/**
 * apimachinery's ParseQuantity keeps the text when its int64 fast path sees a canonical shape:
 * for decimal forms a scale that is a multiple of 3, no leading zero and no trailing "000"; for
 * binary forms a mantissa that is not a multiple of 8.
 */
function keptAsWritten(format: Format, written: string, fraction: string, exponent: number): boolean {
  // Its parser skips leading zeros of the integer part, and reads none at all as "0".
  const whole = written.replace(/^0+/, '') || '0';
  const shifted = `${whole}${fraction}`;
  if (format === 'BinarySI') {
    const precision = 15 - whole.length - Math.trunc((exponent * 3) / 10) - 1;
    if (fraction !== '' || precision < 0) return false;
    return (BigInt(whole || '0') & 7n) !== 0n;
  }
  const scale = exponent - fraction.length;
  if (shifted.length > 18 || scale < -9) return false;
  return scale % 3 === 0 && !shifted.endsWith('000') && !shifted.startsWith('0');
}

function binaryText(value: bigint): string {
  let amount = value;
  let power = 0;
  while (power < 6 && amount % 1024n === 0n) {
    amount /= 1024n;
    power++;
  }
  return `${amount}${BINARY_SUFFIX_OF[power] ?? ''}`;
}

function decimalText(digits: bigint, exp10: number, format: Format): string {
  let amount = digits;
  let exponent = exp10;
  while (amount % 10n === 0n) {
    amount /= 10n;
    exponent++;
  }
  // The exponent goes down to a multiple of 3, the mantissa up to match.
  const rest = ((exponent % 3) + 3) % 3;
  amount *= pow(10n, rest);
  exponent -= rest;
  if (format === 'DecimalSI' && exponent in DECIMAL_SUFFIX_OF) return `${amount}${DECIMAL_SUFFIX_OF[exponent] ?? ''}`;
  return exponent === 0 ? `${amount}` : `${amount}e${exponent}`;
}

/** A JS number as quantity text without float noise (`0.1`, not `0.1000000000000000055511`). */
function numberText(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const s = String(n);
  return s.includes('e') ? s.replace('e+', 'e') : s;
}
