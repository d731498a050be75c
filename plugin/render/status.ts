// `kubectl engula status CLUSTER` as text: a header in `kubectl describe`'s manner, then one
// section per part of the view-model, each an aligned table. Pure: the view, the time and the
// style in, the text out.
import { shortRevision } from '../view/rollout.ts';
import type { ClaimView, ComponentView, ConditionView, EventView, PodView, RolloutStep, StatusView } from '../view/types.ts';
import { ageOf } from './age.ts';
import { accessModeShort } from '../view/claims.ts';
import { phasePaint, type Style } from './style.ts';
import { table, type Cell } from './table.ts';

export interface RenderOptions {
  now: Date;
  style: Style;
}

const INDENT = '  ';
const NONE = `${INDENT}<none>`;

function field(label: string, value: string): string {
  return `${`${label}:`.padEnd(14)}${value}`;
}

function headerLines(v: StatusView, o: RenderOptions): string[] {
  const c = v.cluster;
  const phase = c.phase ?? '<unknown>';
  const stale = c.generation !== undefined && c.observedGeneration !== undefined && c.observedGeneration < c.generation;
  const lines = [
    field('Name', c.name),
    field('Namespace', c.namespace),
    field('Engula', `${c.engulaName}${c.launchProfile ? ` (launch profile ${c.launchProfile})` : ''}`),
    field('Image', c.image ?? '<none>'),
    field('Phase', `${phasePaint(o.style, c.phase)(phase)}${c.readySummary ? `, ${c.readySummary} components ready` : ''}`),
    field('Generation', `${c.generation ?? '?'}${c.observedGeneration !== undefined ? ` (status observed ${c.observedGeneration}${stale ? ': the operator has not caught up yet' : ''})` : ' (no status yet)'}`),
    field('Paused', c.paused ? o.style.cyan('true: the operator changes nothing (kubectl engula resume)') : 'false'),
    field('Hibernate', c.hibernate ? o.style.cyan('true: every component scaled to zero, claims kept (kubectl engula wake)') : 'false'),
  ];
  if (c.restartedAt) lines.push(field('Restarted at', c.restartedAt));
  lines.push(field('Age', ageOf(c.createdAt, o.now)));
  if (c.deletingSince) lines.push(field('Deleting', o.style.red(`since ${ageOf(c.deletingSince, o.now)} ago`)));
  return lines;
}

function revisionCell(c: ComponentView): string {
  const current = shortRevision(c.currentRevision, c.child);
  const update = shortRevision(c.updateRevision, c.child);
  if (current === undefined && update === undefined) return '<none>';
  return current !== undefined && update !== undefined && current !== update ? `${current} -> ${update}` : (update ?? current ?? '');
}

function componentLines(v: StatusView, o: RenderOptions): string[] {
  if (v.components.length === 0) return [NONE];
  const rows = v.components.map((c): Cell[] => [
    c.component,
    `${c.kind.toLowerCase()}/${c.child}${c.childState === 'missing' ? ' (not made yet)' : c.childState === 'unread' ? ' (not readable)' : ''}`,
    `${c.ready}/${c.desired}`,
    String(c.updated),
    { text: c.phase ?? '<unknown>', paint: phasePaint(o.style, c.phase) },
    revisionCell(c),
  ]);
  return table(['COMPONENT', 'CHILD', 'READY', 'UP-TO-DATE', 'PHASE', 'REVISION'], rows, INDENT);
}

function stepLines(s: RolloutStep, o: RenderOptions): string[] {
  const from = shortRevision(s.currentRevision, s.child);
  const to = shortRevision(s.updateRevision, s.child);
  const revisions = from !== undefined && to !== undefined && from !== to ? `, ${from} -> ${to}` : '';
  const partition = s.partition !== undefined && s.state !== 'UpdatePending' && s.state !== 'Waiting' ? `, partition ${s.partition}` : '';
  const head = `${INDENT}${s.component}: ${phasePaint(o.style, s.state)(s.state)}, ${s.updated}/${s.replicas} pods updated${revisions}${partition}`;
  const lines = [head];
  if (s.message) lines.push(`${INDENT}${INDENT}${s.message}`);
  // A stuck step's message already says why its pod does not come up: the pod's state is enough.
  const why = s.waitingFor?.reason && s.state !== 'Stuck' ? `; ${s.waitingFor.reason}` : '';
  if (s.waitingFor) lines.push(`${INDENT}${INDENT}Waits for pod ${s.waitingFor.pod}: ${s.waitingFor.status}${why}`);
  return lines;
}

function rolloutLines(v: StatusView, o: RenderOptions): string[] {
  if (v.rollout.steps.length === 0) return [`${INDENT}No roll in progress: every pod runs its component's update revision.`];
  return v.rollout.steps.flatMap((s) => stepLines(s, o));
}

function podRevision(p: PodView): string {
  const child = p.name.replace(/-\d+$/, '');
  const short = shortRevision(p.revision, child) ?? '<none>';
  return p.revisionState === 'current' || p.revisionState === 'other' ? `${short} (old)` : short;
}

function podLines(v: StatusView, o: RenderOptions): string[] {
  if (v.pods.length === 0) return [NONE];
  const rows = v.pods.map((p): Cell[] => [
    p.name,
    p.component ?? '<unknown>',
    { text: `${p.readyContainers}/${p.containers}`, paint: p.ready ? (t) => t : o.style.yellow },
    { text: p.status, paint: phasePaint(o.style, p.status) },
    String(p.restarts),
    podRevision(p),
    ageOf(p.createdAt, o.now),
    p.node ?? '<none>',
  ]);
  return table(['NAME', 'COMPONENT', 'READY', 'STATUS', 'RESTARTS', 'REVISION', 'AGE', 'NODE'], rows, INDENT);
}

function conditionLines(v: StatusView, o: RenderOptions): string[] {
  // The Cluster's conditions always; a component's only when they say something is going on.
  const shown = v.conditions.filter((c) => c.object.startsWith('cluster/') || !c.expected);
  const hidden = v.conditions.length - shown.length;
  const paint = (c: ConditionView): Cell => ({ text: c.status, paint: c.expected ? o.style.green : c.type === 'Degraded' || c.type === 'Ready' ? o.style.red : o.style.yellow });
  const rows = shown.map((c): Cell[] => [c.object, c.type, paint(c), c.reason ?? '', ageOf(c.lastTransitionTime, o.now), c.message ?? '']);
  const lines = shown.length === 0 ? [NONE] : table(['OBJECT', 'TYPE', 'STATUS', 'REASON', 'AGE', 'MESSAGE'], rows, INDENT);
  if (hidden > 0) lines.push(`${INDENT}(${hidden} conditions of the components say all is well: -o yaml lists them)`);
  return lines;
}

function claimLines(claims: ClaimView[], o: RenderOptions): string[] {
  if (claims.length === 0) return [NONE];
  const rows = claims.map((c): Cell[] => [
    c.name,
    { text: c.status ?? '<unknown>', paint: phasePaint(o.style, c.status) },
    c.capacity ?? '',
    c.accessModes.map(accessModeShort).join(','),
    c.storageClass ?? '<none>',
    c.pod ?? '<none>',
    ageOf(c.createdAt, o.now),
  ]);
  return table(['NAME', 'STATUS', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'POD', 'AGE'], rows, INDENT);
}

function eventLines(events: EventView[], older: number, o: RenderOptions): string[] {
  if (events.length === 0) return [NONE];
  const rows = events.map((e): Cell[] => [
    `${ageOf(e.lastSeen, o.now)}${e.count > 1 ? ` (x${e.count})` : ''}`,
    { text: e.type ?? '', paint: e.type === 'Warning' ? o.style.yellow : (t) => t },
    e.reason ?? '',
    e.object,
    e.message ?? '',
  ]);
  const lines = table(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'], rows, INDENT);
  return older > 0 ? [`${INDENT}(${older} older events not shown)`, ...lines] : lines;
}

export function renderStatus(v: StatusView, o: RenderOptions): string {
  const section = (title: string, lines: string[]): string[] => ['', o.style.bold(`${title}:`), ...lines];
  return [
    ...headerLines(v, o),
    ...section('Components', componentLines(v, o)),
    ...section('Rollout', rolloutLines(v, o)),
    ...section('Pods', podLines(v, o)),
    ...section('Conditions', conditionLines(v, o)),
    ...section('Claims', claimLines(v.claims, o)),
    ...section('Events', eventLines(v.events, v.olderEvents, o)),
  ].join('\n') + '\n';
}
