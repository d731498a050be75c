// `kubectl engula status [CLUSTER]`: read, build the view, print it as text or as a document.
import type { Command } from '../args.ts';
import type { Connected } from '../client.ts';
import type { PluginIO } from '../io.ts';
import { readClusterState, listClusters } from '../read-state.ts';
import { document } from '../render/document.ts';
import { renderClusterList } from '../render/list.ts';
import { renderStatus } from '../render/status.ts';
import { style } from '../render/style.ts';
import { clusterListView } from '../view/list.ts';
import { buildStatusView } from '../view/status.ts';

export async function runStatus(cmd: Extract<Command, { kind: 'status' }>, { api, namespace }: Connected, io: PluginIO): Promise<void> {
  if (cmd.name === undefined) {
    const view = clusterListView(await listClusters(api, cmd.allNamespaces ? '' : namespace));
    if (cmd.output !== 'text') return io.out(document(view, cmd.output));
    // As kubectl get: an empty list is said on stderr, so stdout stays empty for scripts.
    if (view.items.length === 0) return io.err(cmd.allNamespaces ? 'No resources found\n' : `No resources found in ${namespace} namespace.\n`);
    return io.out(renderClusterList(view, { now: io.now(), style: style(io.colour), allNamespaces: cmd.allNamespaces }));
  }
  const view = buildStatusView(await readClusterState(api, namespace, cmd.name));
  for (const what of view.unread) io.err(`Warning: left out, as the server refused it: ${what}\n`);
  io.out(cmd.output === 'text' ? renderStatus(view, { now: io.now(), style: style(io.colour) }) : document(view, cmd.output));
}
