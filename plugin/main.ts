// The plugin's dispatcher: parse the command line, connect when the command needs the server, run
// the command, and turn any failure into kubectl's kind of message on stderr and exit code 1.
import { parseArgs, type Invocation } from './args.ts';
import { connect, type Connected } from './client.ts';
import { runAction } from './commands/action.ts';
import { runStatus } from './commands/status.ts';
import { runVersion } from './commands/version.ts';
import { crdsMissing } from './discovery.ts';
import { formatError, isUnservedPath } from './errors.ts';
import { helpText } from './help.ts';
import type { PluginIO } from './io.ts';

async function run(inv: Invocation, io: PluginIO, connected: () => Promise<Connected>): Promise<void> {
  const cmd = inv.command;
  switch (cmd.kind) {
    case 'help':
      return io.out(helpText(cmd.topic));
    case 'version':
      return runVersion(cmd, cmd.clientOnly ? undefined : connected, io);
    case 'status':
      return runStatus(cmd, await connected(), io);
    case 'switch':
    case 'scale':
      return runAction(cmd, await connected(), io);
  }
}

/** Runs one command line; resolves to the exit code. */
export async function main(argv: readonly string[], io: PluginIO): Promise<number> {
  let connection: Connected | undefined;
  try {
    const inv = parseArgs(argv);
    await run(inv, io, async () => (connection = await connect(inv.connection, io.env)));
    return 0;
  } catch (err) {
    // A path the server does not serve is worth one more question: is the Engula API there at all?
    const missing = connection !== undefined && isUnservedPath(err) && (await crdsMissing(connection.api));
    io.err(`${formatError(err, { crdsMissing: missing, ...(connection ? { server: connection.api.server } : {}) })}\n`);
    return 1;
  } finally {
    connection?.api.close();
  }
}
