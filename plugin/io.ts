// Where a command's output goes and what it may know of its surroundings: passed in, so the
// commands run the same under a test as under kubectl.
export interface PluginIO {
  out(text: string): void;
  err(text: string): void;
  /** Colour stdout (decided once, by the entry point: a terminal, and NO_COLOR unset). */
  colour: boolean;
  env: NodeJS.ProcessEnv;
  now(): Date;
}
