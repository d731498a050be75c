// The Grafana dashboard (config/grafana) asks only for metrics the operator really serves: a real
// operator (webhooks on, as shipped) is scraped and every metric each panel's queries select must be
// a family on its /metrics. The queries must also be in the PromQL subset hack/render-dashboard.ts
// evaluates, so docs/dashboard.png draws every panel from the same queries.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { metricNamesOf, parseQuery } from '../../../hack/dashboard/promql.ts';
import { testNamespace } from '../../support/kube.ts';
import { installCrds, startOperator } from '../../support/operator.ts';

const root = resolve(import.meta.dirname, '..', '..', '..');
const dashboard = JSON.parse(readFileSync(resolve(root, 'config/grafana/engula-operator-dashboard.json'), 'utf8')) as {
  panels: Array<{ title: string; type: string; targets?: Array<{ expr: string }> }>;
};

/** The names of the metric families /metrics declares (`# TYPE name type`), with their type. */
function familiesOf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(m[1]!, m[2]!);
  return out;
}

test('every metric the dashboard queries is served on the operator\'s /metrics', async (t) => {
  await installCrds();
  const ns = await testNamespace(t, 'ctrl-dashboard');
  const operator = await startOperator(t, [ns]);
  const text = await (await fetch(`http://127.0.0.1:${operator.metricsPort}/metrics`)).text();
  const families = familiesOf(text);

  const queried = new Map<string, string[]>();
  for (const panel of dashboard.panels) {
    if (panel.type === 'row') continue;
    assert.ok((panel.targets ?? []).length > 0, `panel ${panel.title} has a query`);
    for (const target of panel.targets ?? []) {
      for (const name of metricNamesOf(parseQuery(target.expr))) queried.set(name, [...(queried.get(name) ?? []), panel.title]);
    }
  }
  const missing: string[] = [];
  for (const [name, panels] of queried) {
    const base = name.replace(/_(bucket|sum|count)$/, '');
    const served = families.has(name) || (base !== name && families.get(base) === 'histogram');
    if (!served) missing.push(`${name} (panel ${panels.join(', ')})`);
  }
  t.diagnostic(`${queried.size} metrics queried by ${dashboard.panels.filter((p) => p.type !== 'row').length} panels`);
  assert.deepEqual(missing, [], 'metrics the dashboard queries but /metrics does not have');
  for (const name of ['controller_runtime_webhook_requests_total', 'engula_scaling_requests_total', 'informer_watchdog_restarts_total', 'leader_election_master_status']) {
    assert.ok(queried.has(name), `the dashboard shows ${name}`);
  }
});
