// The text of `kubectl engula status`: kubectl's aligned columns and ages, colour only when asked
// (and then aligned by what the terminal shows), the roll and what it waits for.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ageOf, humanDuration } from '../../../plugin/render/age.ts';
import { document } from '../../../plugin/render/document.ts';
import { renderClusterList } from '../../../plugin/render/list.ts';
import { renderStatus } from '../../../plugin/render/status.ts';
import { colourWanted, style, visibleLength } from '../../../plugin/render/style.ts';
import { table } from '../../../plugin/render/table.ts';
import { clusterListView } from '../../../plugin/view/list.ts';
import { buildStatusView } from '../../../plugin/view/status.ts';
import { NOW, readyState, stuckState } from './fixtures/state.ts';

function section(text: string, title: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(`${title}:`);
  assert.ok(start >= 0, `a ${title} section`);
  const end = lines.indexOf('', start);
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

const plain = { now: NOW, style: style(false) };

describe('kubectl engula status: text', () => {
  it('aligns columns as kubectl get does: three spaces at least, six wide at least, the last column unpadded', () => {
    assert.deepEqual(table(['NAME', 'AGE'], [['a', '1s'], ['longer-name', '10m']]), ['NAME          AGE', 'a             1s', 'longer-name   10m']);
    assert.deepEqual(table(['A', 'B', 'C'], [['x', 'y', 'z']], '  '), ['  A     B     C', '  x     y     z']);
  });

  it("ages as kubectl's HumanDuration", () => {
    const cases: Array<[number, string]> = [[-5_000, '<invalid>'], [-500, '0s'], [0, '0s'], [119_000, '119s'], [120_000, '2m'], [125_000, '2m5s'], [600_000, '10m'], [3 * 3600_000, '3h'], [3 * 3600_000 + 60_000, '3h1m'], [47 * 3600_000, '47h'], [50 * 3600_000, '2d2h'], [30 * 86400_000, '30d'], [800 * 86400_000, '2y70d'], [9 * 365 * 86400_000, '9y']];
    for (const [ms, text] of cases) assert.equal(humanDuration(ms), text, `${ms} ms`);
    assert.equal(ageOf(undefined, NOW), '<unknown>');
  });

  it('a Ready Cluster: the header, every component whole, no roll', () => {
    const text = renderStatus(buildStatusView(readyState()), plain);
    assert.match(text, /^Name: {9}demo\nNamespace: {4}apps\n/);
    assert.match(text, /\nPhase: {8}Ready, 4\/4 components ready\n/);
    assert.match(text, /\nAge: {10}15m\n/);
    assert.deepEqual(section(text, 'Components'), [
      '  COMPONENT   CHILD                  READY   UP-TO-DATE   PHASE   REVISION',
      '  journal     journal/demo-journal   3/3     3            Ready   aaa111',
      '  storage     storage/demo-storage   1/1     1            Ready   aaa111',
      '  kernel      kernel/demo-kernel     1/1     1            Ready   aaa111',
      '  engine      engine/demo-engine     2/2     2            Ready   aaa111',
    ]);
    assert.deepEqual(section(text, 'Rollout'), ["  No roll in progress: every pod runs its component's update revision."]);
    assert.deepEqual(section(text, 'Conditions').at(-1), '  (12 conditions of the components say all is well: -o yaml lists them)');
    assert.doesNotMatch(text, /\u001b\[/, 'no colour codes when colour is off');
  });

  it('mid-roll: the stuck component, its revisions and partition, the pod it waits for; old pods marked', () => {
    const text = renderStatus(buildStatusView(stuckState()), plain);
    assert.deepEqual(section(text, 'Rollout'), [
      '  journal: Stuck, 1/3 pods updated, aaa111 -> bbb222, partition 2',
      '    The roll stopped: pod demo-journal-2 is Pending and unschedulable: 0/3 nodes are available; fix or revert the change and it continues from there',
      '    Waits for pod demo-journal-2: Pending',
    ]);
    const pods = section(text, 'Pods');
    assert.equal(pods[0], '  NAME             COMPONENT   READY   STATUS    RESTARTS   REVISION       AGE   NODE');
    assert.equal(pods[1], '  demo-journal-0   journal     1/1     Running   0          aaa111 (old)   13m   kwok-node-0');
    assert.equal(pods[3], '  demo-journal-2   journal     0/1     Pending   0          bbb222         40s   <none>');
    assert.match(section(text, 'Components')[1] ?? '', /journal\s+journal\/demo-journal\s+2\/3\s+1\s+Degraded\s+aaa111 -> bbb222$/);
    assert.match(section(text, 'Events').at(-1) ?? '', /^ {2}30s\s+Warning\s+RolloutStuck\s+journal\/demo-journal\s+The roll stopped/);
  });

  it('a rolling step says why its pod is not Ready yet', () => {
    const s = stuckState();
    s.children.journal!.status!.conditions = s.children.journal!.status!.conditions!.filter((c) => c.type !== 'Degraded');
    const text = renderStatus(buildStatusView(s), plain);
    assert.equal(section(text, 'Rollout')[2], "    Waits for pod demo-journal-2: Pending; PodScheduled False, Unschedulable: 0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.");
  });

  it('colour: only on a terminal without NO_COLOR; coloured tables stay aligned', () => {
    assert.equal(colourWanted(true, {}), true);
    assert.equal(colourWanted(false, {}), false);
    assert.equal(colourWanted(true, { NO_COLOR: '1' }), false);
    assert.equal(colourWanted(true, { NO_COLOR: '' }), true, 'an empty NO_COLOR does not count (no-color.org)');
    assert.equal(colourWanted(true, { TERM: 'dumb' }), false);
    const coloured = renderStatus(buildStatusView(stuckState()), { now: NOW, style: style(true) });
    assert.match(coloured, /\u001b\[31mDegraded\u001b\[0m/, 'Degraded in red');
    assert.match(coloured, /\u001b\[32mReady\u001b\[0m/, 'Ready in green');
    const uncoloured = renderStatus(buildStatusView(stuckState()), plain);
    const strip = (t: string): string => t.replace(/\u001b\[[0-9;]*m/g, '');
    assert.equal(strip(coloured), uncoloured, 'the same text once the colour codes are taken out');
    assert.equal(visibleLength('\u001b[31mab\u001b[0m'), 2);
  });

  it('the list of Clusters, with NAMESPACE under -A', () => {
    const list = clusterListView([readyState().cluster]);
    assert.equal(renderClusterList(list, { now: NOW, style: style(false), allNamespaces: false }), 'NAME   PHASE   READY   JOURNAL   STORAGE   KERNEL   ENGINE   AGE\ndemo   Ready   4/4     3/3       1/1       1/1      2/2      15m\n');
    assert.match(renderClusterList(list, { now: NOW, style: style(false), allNamespaces: true }), /^NAMESPACE   NAME   PHASE/);
  });

  it('-o json and -o yaml print the view-model itself', () => {
    const view = buildStatusView(stuckState());
    assert.deepEqual(JSON.parse(document(view, 'json')), view);
    assert.match(document(view, 'json'), /^\{\n {4}"cluster": \{/, 'indented as kubectl indents JSON');
    assert.match(document(view, 'yaml'), /^cluster:\n {2}namespace: apps\n/);
  });
});
