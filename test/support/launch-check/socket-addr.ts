// Rust's `SocketAddr::from_str`, which clap runs on every ADDR of Engula v0.2 (bin/engula.rs
// declares them `SocketAddr`): an IPv4 or bracketed IPv6 literal and a port, never a host name.
//
// Ported from library/std/src/net/parser.rs as of the toolchain engula v0.2.0 pins
// (rust-toolchain.toml: nightly-2021-11-16): IPv4 octets refuse leading zeros (Rust 1.55 and
// later), the port may have them, an IPv6 address may carry a `%scope` inside the brackets.

export interface SocketAddr {
  family: 4 | 6;
  /** The address as written, without brackets or scope. */
  ip: string;
  port: number;
  /** 0.0.0.0 or ::, the address that listens on every interface. */
  unspecified: boolean;
}

/** AddrParseError's description in that toolchain. */
export const ADDR_PARSE_ERROR = 'invalid IP address syntax';

/** parser.rs Parser over the input's characters; each read restores the position when it fails (read_atomically). */
class Parser {
  pos = 0;
  readonly s: string;
  constructor(s: string) {
    this.s = s;
  }

  atomically<T>(inner: () => T | undefined): T | undefined {
    const at = this.pos;
    const result = inner();
    if (result === undefined) this.pos = at;
    return result;
  }

  readGivenChar(target: string): true | undefined {
    return this.atomically(() => {
      if (this.s[this.pos] !== target) return undefined;
      this.pos++;
      return true;
    });
  }

  /** read_separator: the separator before every item but the first. */
  readSeparator<T>(sep: string, index: number, inner: () => T | undefined): T | undefined {
    return this.atomically(() => {
      if (index > 0 && this.readGivenChar(sep) === undefined) return undefined;
      return inner();
    });
  }

  /** read_number: digits in `radix` into an unsigned integer of `bits` bits, failing on overflow. */
  readNumber(radix: 10 | 16, maxDigits: number | undefined, allowZeroPrefix: boolean, bits: 8 | 16 | 32): number | undefined {
    return this.atomically(() => {
      const max = 2 ** bits - 1;
      let result = 0;
      let digits = 0;
      const hasLeadingZero = this.s[this.pos] === '0';
      for (;;) {
        const ch = this.s[this.pos];
        const digit = ch === undefined ? undefined : digitOf(ch, radix);
        if (digit === undefined) break;
        this.pos++;
        result = result * radix + digit;
        if (result > max) return undefined;
        digits++;
        if (maxDigits !== undefined && digits > maxDigits) return undefined;
      }
      if (digits === 0) return undefined;
      if (!allowZeroPrefix && hasLeadingZero && digits > 1) return undefined;
      return result;
    });
  }

  readIpv4(): number[] | undefined {
    return this.atomically(() => {
      const octets: number[] = [];
      for (let i = 0; i < 4; i++) {
        // "Disallow octal number in IP string" (RFC 6943 3.1.1): no leading zero.
        const octet = this.readSeparator('.', i, () => this.readNumber(10, undefined, false, 8));
        if (octet === undefined) return undefined;
        octets.push(octet);
      }
      return octets;
    });
  }

  /** read_ipv6_addr's read_groups: colon-separated groups, maybe ending in an embedded IPv4 address. */
  private readGroups(limit: number): { groups: number[]; ipv4: boolean } {
    const groups: number[] = [];
    for (let i = 0; i < limit; i++) {
      // An embedded IPv4 address needs two groups' room.
      if (i < limit - 1) {
        const v4 = this.readSeparator(':', i, () => this.readIpv4());
        if (v4 !== undefined) {
          const [a = 0, b = 0, c = 0, d = 0] = v4;
          groups.push(a * 256 + b, c * 256 + d);
          return { groups, ipv4: true };
        }
      }
      const group = this.readSeparator(':', i, () => this.readNumber(16, 4, true, 16));
      if (group === undefined) return { groups, ipv4: false };
      groups.push(group);
    }
    return { groups, ipv4: false };
  }

  readIpv6(): number[] | undefined {
    return this.atomically(() => {
      const head = this.readGroups(8);
      if (head.groups.length === 8) return head.groups;
      // An IPv4 part is not allowed before `::`.
      if (head.ipv4) return undefined;
      if (this.readGivenChar(':') === undefined || this.readGivenChar(':') === undefined) return undefined;
      // `::` stands for at least one group of zeros.
      const tail = this.readGroups(8 - (head.groups.length + 1));
      const zeros = new Array<number>(8 - head.groups.length - tail.groups.length).fill(0);
      return [...head.groups, ...zeros, ...tail.groups];
    });
  }

  readPort(): number | undefined {
    return this.atomically(() => (this.readGivenChar(':') === undefined ? undefined : this.readNumber(10, undefined, true, 16)));
  }

  readScopeId(): number | undefined {
    return this.atomically(() => (this.readGivenChar('%') === undefined ? undefined : this.readNumber(10, undefined, true, 32)));
  }

  readSocketAddrV4(): SocketAddr | undefined {
    return this.atomically(() => {
      const start = this.pos;
      const ip = this.readIpv4();
      if (ip === undefined) return undefined;
      const text = this.s.slice(start, this.pos);
      const port = this.readPort();
      if (port === undefined) return undefined;
      return { family: 4, ip: text, port, unspecified: ip.every((o) => o === 0) };
    });
  }

  readSocketAddrV6(): SocketAddr | undefined {
    return this.atomically(() => {
      if (this.readGivenChar('[') === undefined) return undefined;
      const start = this.pos;
      const ip = this.readIpv6();
      if (ip === undefined) return undefined;
      const text = this.s.slice(start, this.pos);
      this.readScopeId();
      if (this.readGivenChar(']') === undefined) return undefined;
      const port = this.readPort();
      if (port === undefined) return undefined;
      return { family: 6, ip: text, port, unspecified: ip.every((g) => g === 0) };
    });
  }
}

/** char::to_digit on ASCII (a non-ASCII character is never a digit). */
function digitOf(ch: string, radix: 10 | 16): number | undefined {
  const code = ch.charCodeAt(0);
  let d: number | undefined;
  if (code >= 0x30 && code <= 0x39) d = code - 0x30;
  else if (code >= 0x61 && code <= 0x7a) d = code - 0x61 + 10;
  else if (code >= 0x41 && code <= 0x5a) d = code - 0x41 + 10;
  return d !== undefined && d < radix ? d : undefined;
}

/** `SocketAddr::from_str`: IPv4 first, then IPv6; the whole input must be consumed (parse_with). */
export function parseSocketAddr(text: string): SocketAddr | undefined {
  const p = new Parser(text);
  const addr = p.readSocketAddrV4() ?? p.readSocketAddrV6();
  return addr !== undefined && p.pos === text.length ? addr : undefined;
}
