import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketQuantile, evaluate, metricNamesOf, parseExposition, parseQuery, type Scrape } from '../../../hack/dashboard/promql.ts';

const scrape = (t: number, text: string): Scrape => ({ t, samples: parseExposition(text) });

describe('the dashboard renderer\'s PromQL subset', () => {
  it('parses the forms the dashboard uses and names the metrics they select', () => {
    const q = parseQuery('histogram_quantile(0.99, sum by (le, controller) (rate(controller_runtime_reconcile_time_seconds_bucket{job=~"$job"}[$__rate_interval])))');
    assert.deepEqual(metricNamesOf(q), ['controller_runtime_reconcile_time_seconds_bucket']);
    assert.deepEqual(metricNamesOf(parseQuery('max by (name) (leader_election_master_status{job=~"$job"})')), ['leader_election_master_status']);
    assert.throws(() => parseQuery('sum(rate(a[5m])) / sum(rate(b[5m]))'), /unsupported/);
  });

  it('rate and increase over the window, across a counter reset; sum by', () => {
    const scrapes = [
      scrape(0, 'x_total{c="a",job="j"} 10\nx_total{c="b",job="j"} 1'),
      scrape(10, 'x_total{c="a",job="j"} 30\nx_total{c="b",job="j"} 2'),
      scrape(20, 'x_total{c="a",job="j"} 5\nx_total{c="b",job="j"} 3'),
    ];
    const rate = evaluate(parseQuery('sum by (c) (rate(x_total{job=~"$job"}[$__rate_interval]))'), scrapes, 2, 60);
    assert.deepEqual(rate.map((s) => [s.labels.c, s.value]), [['a', (20 + 5) / 20], ['b', 2 / 20]]);
    const inc = evaluate(parseQuery('sum (increase(x_total{c="b"}[15s]))'), scrapes, 2, 60);
    assert.deepEqual(inc.map((s) => s.value), [1]);
  });

  it('histogram_quantile interpolates inside the bucket, as Prometheus does', () => {
    assert.equal(bucketQuantile(0.5, [[0.1, 50], [0.2, 100], [Infinity, 100]]), 0.1);
    assert.ok(Math.abs((bucketQuantile(0.75, [[0.1, 50], [0.2, 100], [Infinity, 100]]) ?? 0) - 0.15) < 1e-12);
    assert.equal(bucketQuantile(0.99, [[0.1, 0], [Infinity, 0]]), undefined);
  });
});
