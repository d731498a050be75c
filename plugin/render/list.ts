// `kubectl engula status` without a name: the Clusters as `kubectl get` lists objects, with the
// NAMESPACE column under -A.
import { COMPONENTS } from '../../api/v1alpha1/kinds.ts';
import type { ClusterListView } from '../view/types.ts';
import { ageOf } from './age.ts';
import { phasePaint, type Style } from './style.ts';
import { table, type Cell } from './table.ts';

export function renderClusterList(v: ClusterListView, o: { now: Date; style: Style; allNamespaces: boolean }): string {
  const header = [...(o.allNamespaces ? ['NAMESPACE'] : []), 'NAME', 'PHASE', 'READY', ...COMPONENTS.map((c) => c.toUpperCase()), 'AGE'];
  const rows = v.items.map((c): Cell[] => [
    ...(o.allNamespaces ? [c.namespace] : []),
    c.name,
    { text: c.phase ?? '<unknown>', paint: phasePaint(o.style, c.phase) },
    c.readySummary ?? '',
    ...COMPONENTS.map((name) => {
      const s = c.components[name];
      return s ? `${s.ready}/${s.desired}` : '-';
    }),
    ageOf(c.createdAt, o.now),
  ]);
  return `${table(header, rows).join('\n')}\n`;
}
