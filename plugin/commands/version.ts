// `kubectl engula version`: the plugin's version and API, then (unless --client) the server's
// Kubernetes version and whether it serves the Engula API.
import type { Command } from '../args.ts';
import type { Connected } from '../client.ts';
import { servedResources, serverVersion } from '../discovery.ts';
import type { PluginIO } from '../io.ts';
import { document } from '../render/document.ts';
import { clientVersion } from '../version.ts';

interface VersionView {
  clientVersion: string;
  apiVersion: string;
  serverVersion?: string;
  /** The plurals of the Engula API the server serves; undefined: not installed. */
  crds?: { installed: boolean; resources: string[] };
}

function clientLines(v: VersionView): string {
  return `Client Version: ${v.clientVersion}\nAPI Version: ${v.apiVersion}\n`;
}

function serverLines(v: VersionView): string {
  const lines = [`Server Version: ${v.serverVersion ?? 'unknown'}`];
  if (v.crds) lines.push(`Engula CRDs: ${v.crds.installed ? `installed (${v.crds.resources.join(', ')})` : 'not installed (make install)'}`);
  return `${lines.join('\n')}\n`;
}

function clientOnly(): VersionView {
  const c = clientVersion();
  return { clientVersion: c.version, apiVersion: c.apiVersion };
}

export async function runVersion(cmd: Extract<Command, { kind: 'version' }>, connect: (() => Promise<Connected>) | undefined, io: PluginIO): Promise<void> {
  const view = clientOnly();
  // As kubectl version: the client's lines come first, so they show even when the server is out of reach.
  if (cmd.output === 'text') io.out(clientLines(view));
  if (connect) {
    const { api } = await connect();
    view.serverVersion = await serverVersion(api);
    const served = await servedResources(api);
    view.crds = { installed: served !== undefined, resources: served ?? [] };
    if (cmd.output === 'text') io.out(serverLines(view));
  }
  if (cmd.output !== 'text') io.out(document(view, cmd.output));
}
