// The subset of clap 3.0.0-beta.5's parser that Engula v0.2's CLI uses (bin/engula.rs derives it;
// Cargo.lock pins clap 3.0.0-beta.5): nested subcommands, required positionals, long options
// taking one value, and the checks clap makes before any of the binary's own code runs.
//
// Read from clap-rs/clap tag v3.0.0-beta.5: src/parse/parser.rs (get_matches_with,
// parse_long_arg, parse_opt, match_arg_error), src/parse/validator.rs, src/parse/errors.rs (the
// wording of each error). The rules that matter here:
// - Each argument is first tried as a subcommand name (unless an option is waiting for its value),
//   so a subcommand may be named `--mem`; once one matches, every later argument is its.
// - `--name=value` and `--name value` both give an option its value; `--` ends options and
//   subcommands (what follows is positional).
// - A subcommand field that is not an Option is required (clap_derive sets
//   SubcommandRequiredElseHelp); so are positionals and options that are not Option/defaulted.
// - An option given twice is refused (no MultipleOccurrences); `-h`/`--help` (and `-V`/`--version`
//   on the top level, which has a version) print and exit without running anything; so does
//   the `help` subcommand clap adds to every command that has subcommands.
import { LaunchRefused } from './refused.ts';

/** A positional argument, required, with clap's validator (the field's FromStr) as an error text or undefined. */
export interface ValueSpec {
  name: string;
  validate?: (value: string) => string | undefined;
}

/** A long option taking exactly one value. */
export interface OptionSpec {
  long: string;
  /** The placeholder clap prints: `--journal <JOURNAL>`. */
  value: string;
  required: boolean;
  validate?: (value: string) => string | undefined;
}

export interface CommandSpec {
  name: string;
  positionals?: readonly ValueSpec[];
  options?: readonly OptionSpec[];
  /** When present, one of them is required. */
  subcommands?: readonly CommandSpec[];
  /** The command has `-V`/`--version` (the top-level App with `version = ...`). */
  version?: boolean;
}

export interface Matches {
  name: string;
  /** Values of the positionals, by name. */
  positionals: Record<string, string>;
  /** Values of the options given, by long name. */
  options: Record<string, string>;
  subcommand?: Matches;
}

const display = (o: OptionSpec): string => `--${o.long} <${o.value}>`;
const unknown = (arg: string, bin: string): LaunchRefused => new LaunchRefused(`Found argument '${arg}' which wasn't expected, or isn't valid in this context (${bin})`, arg);
const exits = (arg: string, what: string): LaunchRefused => new LaunchRefused(`'${arg}' prints ${what} and exits: no server starts`, arg);

/** Parses `args` (argv without argv[0]) against `spec` the way clap does, or throws LaunchRefused. */
export function parseArgs(spec: CommandSpec, args: readonly string[]): Matches {
  return parseLevel(spec, args, 0, spec.name);
}

function parseLevel(spec: CommandSpec, args: readonly string[], start: number, bin: string): Matches {
  const positionals = spec.positionals ?? [];
  const options = spec.options ?? [];
  const subcommands = spec.subcommands ?? [];
  const posValues: string[] = [];
  const optValues = new Map<OptionSpec, string>();
  const occurrences = new Map<OptionSpec, number>();
  let awaiting: OptionSpec | undefined;
  let trailing = false;
  let sub: { spec: CommandSpec; at: number } | undefined;

  for (let i = start; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (!trailing) {
      // An option waiting for its value takes the next argument even if it names a subcommand.
      if (awaiting === undefined) {
        if (subcommands.length > 0 && arg === 'help') throw exits(`${bin} help`, 'help');
        const found = subcommands.find((s) => s.name === arg);
        if (found) {
          sub = { spec: found, at: i + 1 };
          break;
        }
      }
      if (arg.startsWith('--')) {
        const long = arg.slice(2);
        if (long === '') {
          trailing = true;
          continue;
        }
        const eq = long.indexOf('=');
        const name = eq < 0 ? long : long.slice(0, eq);
        const opt = options.find((o) => o.long === name);
        if (opt) {
          occurrences.set(opt, (occurrences.get(opt) ?? 0) + 1);
          // A previous option still waiting keeps no value: refused below as an empty value.
          if (eq < 0) awaiting = opt;
          else {
            optValues.set(opt, long.slice(eq + 1));
            awaiting = undefined;
          }
          continue;
        }
        if (name === 'help') throw exits('--help', 'help');
        if (name === 'version' && spec.version) throw exits('--version', 'its version');
        throw unknown(`--${name}`, bin);
      }
      if (arg.startsWith('-') && arg.length > 1) {
        // clap reads a short group one character at a time and stops at the first it does not know.
        const c = String.fromCodePoint(arg.codePointAt(1) ?? 0);
        if (c === 'h') throw exits('-h', 'help');
        if (c === 'V' && spec.version) throw exits('-V', 'its version');
        throw unknown(`-${c}`, bin);
      }
      if (awaiting !== undefined) {
        optValues.set(awaiting, arg);
        awaiting = undefined;
        continue;
      }
    }
    if (posValues.length < positionals.length) {
      posValues.push(arg);
      continue;
    }
    if (trailing && subcommands.some((s) => s.name === arg)) {
      throw new LaunchRefused(`Found argument '${arg}' which wasn't expected, or isn't valid in this context: a subcommand after '--' is a value`, arg);
    }
    if (subcommands.length > 0 && positionals.length === 0) {
      throw new LaunchRefused(`The subcommand '${arg}' wasn't recognized (${bin} has ${subcommands.map((s) => `'${s.name}'`).join(', ')})`, arg);
    }
    throw unknown(arg, bin);
  }

  // The subcommand is parsed, and refuses, before its parent is validated.
  let subcommand: Matches | undefined;
  if (sub) subcommand = parseLevel(sub.spec, args, sub.at, `${bin} ${sub.spec.name}`);
  else if (subcommands.length > 0) {
    throw new LaunchRefused(`'${bin}' requires a subcommand, but one was not provided: one of ${subcommands.map((s) => `'${s.name}'`).join(', ')}`, bin);
  }

  // validator.rs: required arguments, then repeated options, then values.
  const missing = [
    ...positionals.slice(posValues.length).map((p) => `<${p.name}>`),
    ...options.filter((o) => o.required && !occurrences.has(o)).map(display),
  ];
  if (missing.length > 0) {
    throw new LaunchRefused(`The following required arguments were not provided: ${missing.join(', ')} (${bin})`, missing[0]);
  }
  for (const [opt, count] of occurrences) {
    if (count > 1) throw new LaunchRefused(`The argument '${display(opt)}' was provided more than once, but cannot be used multiple times`, `--${opt.long}`);
    if (!optValues.has(opt)) throw new LaunchRefused(`The argument '${display(opt)}' requires a value but none was supplied`, `--${opt.long}`);
  }
  const matches: Matches = { name: spec.name, positionals: {}, options: {}, ...(subcommand ? { subcommand } : {}) };
  positionals.forEach((p, i) => {
    const value = posValues[i] ?? '';
    const error = p.validate?.(value);
    if (error !== undefined) throw new LaunchRefused(`Invalid value for '<${p.name}>': ${error} (got '${value}')`, value);
    matches.positionals[p.name] = value;
  });
  for (const [opt, value] of optValues) {
    const error = opt.validate?.(value);
    if (error !== undefined) throw new LaunchRefused(`Invalid value for '${display(opt)}': ${error} (got '${value}')`, `--${opt.long}`);
    matches.options[opt.long] = value;
  }
  return matches;
}
