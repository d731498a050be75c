#!/usr/bin/env node
// kubectl-engula: the `kubectl engula` plugin. kubectl runs any executable named kubectl-<name> on
// PATH for `kubectl <name>`, passing the rest of the command line and its environment (KUBECONFIG
// among it); package.json's "bin" installs this file, compiled to dist/cmd/kubectl-engula.js, under
// that name. The commands live in plugin/ (docs/kubectl-engula.md).
import { main } from '../plugin/main.ts';
import { colourWanted } from '../plugin/render/style.ts';

const code = await main(process.argv.slice(2), {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  colour: colourWanted(process.stdout.isTTY === true, process.env),
  env: process.env,
  now: () => new Date(),
});
// Set, not process.exit(): the writes to a pipe finish before Node exits.
process.exitCode = code;
