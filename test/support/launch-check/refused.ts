// The one error of the launch check: a launch the Engula binary (or the kubelet before it) would
// not run. The message reads like clap's, naming the offending argument.

export class LaunchRefused extends Error {
  /** The argument (or field) at fault, when there is one. */
  readonly argument: string | undefined;

  constructor(message: string, argument?: string) {
    super(message);
    this.name = 'LaunchRefused';
    this.argument = argument;
  }

  /** The same refusal, its message prefixed (with the StatefulSet's namespace/name). */
  prefixed(prefix: string): LaunchRefused {
    return new LaunchRefused(`${prefix}: ${this.message}`, this.argument);
  }
}
