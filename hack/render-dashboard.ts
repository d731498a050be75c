// Renders docs/dashboard.png: config/grafana's dashboard drawn from REAL metrics of a run. It starts a
// local control plane (testenv), runs the operator as `make run` does (webhooks on 127.0.0.1, leader
// election), drives a workload through kubectl (Clusters created, scaled, refused by admission,
// repaired, trimmed, deleted; the scaling API called), scrapes the operator's /metrics every second, evaluates every panel's
// queries on the scrapes (hack/dashboard/promql.ts) and draws the panels as an HTML page that headless
// Chromium screenshots. Run it with hack/render-dashboard.sh (which installs chromium if missing).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { resolveBinDir } from '../testenv/bins.ts';
import { startControlPlane, tempControlPlaneDir } from '../testenv/controlplane.ts';
import { evaluate, parseExposition, parseQuery, type Labels, type Scrape } from './dashboard/promql.ts';

const root = resolve(import.meta.dirname, '..');
const dashboardFile = join(root, 'config/grafana/engula-operator-dashboard.json');
const out = join(root, 'docs/dashboard.png');
const RATE_WINDOW_S = 15;
const log = pino({ base: { app: 'render-dashboard' } });
// Grafana's classic palette, and its grid (24 columns, 30 px rows) on a 1600 px page.
const COLORS = ['#7EB26D', '#EAB839', '#6ED0E0', '#EF843C', '#E24D42', '#1F78C1', '#BA43A9', '#705DA0', '#508642', '#CCA300', '#447EBC', '#C15C17'];
const COL = 1600 / 24;
const ROW = 30;
// The scrapes of the run are kept here, so the page can be drawn again without a new run
// (`--scrapes FILE`: drawn from FILE when it exists, else the run writes it).
const scrapesArg = process.argv.indexOf('--scrapes');
const scrapesFile = scrapesArg >= 0 ? resolve(process.argv[scrapesArg + 1] ?? '') : undefined;

interface Target {
  expr: string;
  legendFormat: string;
}
interface Panel {
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  fieldConfig?: { defaults?: { unit?: string } };
  targets?: Target[];
}

const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as { title: string; panels: Panel[] };
const pageHeight = Math.max(...dashboard.panels.map((p) => (p.gridPos.y + p.gridPos.h) * ROW)) + 60;
// Refuse a query the evaluator does not understand before spending minutes on a run.
for (const p of dashboard.panels) for (const t of p.targets ?? []) parseQuery(t.expr);

const htmlDir = mkdtempSync(join(tmpdir(), 'engula-dashboard-'));
try {
  const scrapes = scrapesFile && existsSync(scrapesFile) ? (JSON.parse(readFileSync(scrapesFile, 'utf8')) as Scrape[]) : await run();
  if (scrapesFile && !existsSync(scrapesFile)) writeFileSync(scrapesFile, JSON.stringify(scrapes));
  writeFileSync(join(htmlDir, 'dashboard.html'), render(scrapes));
  const chromium = ['chromium', 'chromium-browser'].find((c) => spawnSync(c, ['--version']).status === 0);
  if (!chromium) throw new Error('chromium is not installed: apt-get install -y chromium (hack/render-dashboard.sh does it)');
  const shot = spawnSync(chromium, ['--headless=new', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--window-size=1600,${pageHeight}`, `--screenshot=${out}`, `file://${join(htmlDir, 'dashboard.html')}`], { encoding: 'utf8', timeout: 120_000 });
  if (shot.status !== 0) throw new Error(`chromium failed: ${shot.stderr}`);
  log.info({ out, scrapes: scrapes.length }, 'dashboard rendered');
} finally {
  rmSync(htmlDir, { recursive: true, force: true });
}

/** The real run: a control plane, the operator, a workload; every scrape of its /metrics. */
async function run(): Promise<Scrape[]> {
  const binDir = await resolveBinDir();
  const cp = await startControlPlane({ dir: tempControlPlaneDir(), mode: 'full', binDir, nodes: 3, logger: log });
  const kubectl = (args: string[], input?: string): { code: number; out: string } => {
    const r = spawnSync(join(cp.binDir, 'kubectl'), ['--kubeconfig', cp.kubeconfig, ...args], { input: input ?? '', encoding: 'utf8', timeout: 60_000 });
    const result = { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
    log.info({ args: args.slice(0, 3), code: result.code, out: result.out.trim().slice(0, 300) }, 'kubectl');
    return result;
  };
  let operator: ReturnType<typeof spawn> | undefined;
  try {
    kubectl(['apply', '--server-side', '-f', join(root, 'config/crd/bases')]);
    kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
    operator = spawn(
      process.execPath,
      ['cmd/manager.ts', '--kubeconfig', cp.kubeconfig, '--local-webhooks', '--webhook-port=0', '--leader-elect', '--leader-election-namespace=default', '--metrics-bind-address=127.0.0.1:0', '--health-probe-bind-address=127.0.0.1:0', '--max-concurrent-reconciles=2'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let opLog = '';
    operator.stdout?.on('data', (d: Buffer) => (opLog += d.toString()));
    operator.stderr?.on('data', (d: Buffer) => (opLog += d.toString()));
    const metricsPort = await until('the metrics server', () => /"port":(\d+),"msg":"metrics server listening"/.exec(opLog)?.[1]);
    const webhookPort = Number(await until('the webhook server', () => /"port":(\d+),[^\n]*"msg":"webhook server listening"/.exec(opLog)?.[1]));
    // The apiserver calls the webhook once it has read the new configuration: probe it with a
    // dry run only the webhook refuses (its --max-replicas), as the tests do.
    const probe = JSON.stringify({ apiVersion: 'cluster.engula.io/v1alpha1', kind: 'Engine', metadata: { name: 'webhook-probe', namespace: 'default' }, spec: { replicas: 100_000, clusterName: 'probe' } });
    await until('the apiserver calling the webhook', () => (kubectl(['create', '--dry-run=server', '-f', '-'], probe).out.includes('--max-replicas') ? true : undefined));

    const scrapes: Scrape[] = [];
    const started = Date.now();
    const scraper = setInterval(() => {
      const t = (Date.now() - started) / 1000;
      fetch(`http://127.0.0.1:${metricsPort}/metrics`)
        .then((r) => r.text())
        .then((text) => scrapes.push({ t, samples: parseExposition(text) }))
        .catch((err: unknown) => log.warn({ err: String(err) }, 'scrape failed'));
    }, 1000);

    const cluster = (name: string, engine = 1): string =>
      [
        'apiVersion: cluster.engula.io/v1alpha1',
        'kind: Cluster',
        `metadata: {name: ${name}, namespace: default}`,
        'spec:',
        `  name: ${name}`,
        '  image: {name: uhub.service.ucloud.cn/zojw/engula:0.9}',
        '  monitoring: {enabled: true}',
        '  journal: {replicas: 3, volume: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}}}',
        '  storage: {replicas: 3}',
        '  kernel: {replicas: 1}',
        `  engine: {replicas: ${engine}}`,
        '',
      ].join('\n');
    const at = async (second: number, what: string, fn: () => unknown) => {
      const wait = started + second * 1000 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      log.info({ second, what }, 'workload step');
      await fn();
    };
    // A caller of the scaling API (docs/scaling.md): a ServiceAccount bound to engula-cluster-scaler
    // with a token for the operator's audience; some calls without a token, some the API refuses.
    kubectl(['apply', '-f', join(root, 'config/rbac/scaler_role.yaml')]);
    kubectl(['create', 'serviceaccount', 'scaler', '-n', 'default']);
    kubectl(['create', 'clusterrolebinding', 'render-scaler', '--clusterrole=engula-cluster-scaler', '--serviceaccount=default:scaler']);
    const token = kubectl(['create', 'token', 'scaler', '-n', 'default', '--audience=engula-operator', '--duration=1h']).out.trim();
    const scale = (method: 'GET' | 'PUT', cluster: string, component: string, replicas?: number, bearer: string | undefined = token): Promise<number> => {
      const path = `/apis/scaling.engula.io/v1/namespaces/default/clusters/${cluster}/components/${component}/scale`;
      const body = replicas === undefined ? undefined : JSON.stringify({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: cluster, namespace: 'default' }, spec: { replicas } });
      return new Promise((done) => {
        const req = https.request({ host: '127.0.0.1', port: webhookPort, path, method, rejectUnauthorized: false, headers: { ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) } }, (res) => {
          res.resume();
          res.on('end', () => done(res.statusCode ?? 0));
        });
        req.on('error', () => done(0));
        req.end(body);
      });
    };
    const scaling = async (rounds: number): Promise<void> => {
      const codes: number[] = [];
      for (let i = 0; i < rounds; i++) {
        codes.push(await scale('GET', 'e', 'engine'), await scale('PUT', 'e', 'engine', 3 + (i % 2)), await scale('GET', 'f', 'storage'));
        if (i % 3 === 0) codes.push(await scale('GET', 'e', 'engine', undefined, ''), await scale('PUT', 'f', 'kernel', 0));
        await new Promise((r) => setTimeout(r, 700));
      }
      log.info({ codes }, 'scaling API calls');
    };
    await at(5, 'four Clusters', () => kubectl(['apply', '-f', '-'], ['a', 'b', 'c', 'd'].map((n) => cluster(n)).join('---\n')));
    await at(35, 'scale engines', () => {
      for (const n of ['a', 'b']) kubectl(['patch', 'cluster', n, '--type=merge', '-p', '{"spec":{"engine":{"replicas":4}}}']);
    });
    await at(50, 'refused changes', () => {
      for (let i = 0; i < 5; i++) kubectl(['patch', 'cluster', 'a', '--type=merge', '-p', '{"spec":{"journal":{"replicas":1}}}']);
      for (let i = 0; i < 5; i++) kubectl(['patch', 'cluster', 'b', '--type=merge', '-p', '{"spec":{"engine":{"replicas":1000}}}']);
    });
    await at(65, 'three more Clusters', () => kubectl(['apply', '-f', '-'], ['e', 'f', 'g'].map((n) => cluster(n, 2)).join('---\n')));
    await at(75, 'scaling API calls', () => scaling(12));
    await at(90, 'a StatefulSet deleted by hand', () => kubectl(['delete', 'statefulset', 'c-storage', '--wait=false']));
    await at(105, 'a component removed', () => kubectl(['patch', 'cluster', 'c', '--type=json', '-p', '[{"op":"remove","path":"/spec/engine"}]']));
    await at(120, 'a Cluster deleted', () => kubectl(['delete', 'cluster', 'd', '--wait=false']));
    await at(128, 'scaling API calls', () => scaling(8));
    await at(150, 'end', () => clearInterval(scraper));
    if (operator.exitCode !== null) throw new Error(`the operator exited during the run:\n${opLog.slice(-3000)}`);
    return scrapes;
  } finally {
    operator?.kill('SIGTERM');
    await cp.stop();
  }
}

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}


function legendOf(format: string, labels: Labels): string {
  return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_m, l: string) => labels[l] ?? '').trim() || JSON.stringify(labels);
}

function fmt(v: number, unit: string | undefined): string {
  if (unit === 's') return v === 0 ? '0' : v < 1e-3 ? `${(v * 1e6).toFixed(0)}µs` : v < 1 ? `${(v * 1e3).toFixed(v < 0.01 ? 1 : 0)}ms` : `${v.toFixed(1)}s`;
  const s = Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
  return unit === 'ops' || unit === 'reqps' ? `${s}/s` : s;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function render(scrapes: Scrape[]): string {
  const last = scrapes[scrapes.length - 1]?.t ?? 1;
  const parts: string[] = [];
  let height = 0;
  for (const p of dashboard.panels) {
    const x = p.gridPos.x * COL;
    const y = p.gridPos.y * ROW + 56;
    const w = p.gridPos.w * COL - 6;
    const h = p.gridPos.h * ROW - 6;
    height = Math.max(height, y + h + 10);
    if (p.type === 'row') {
      parts.push(`<div class="row" style="left:${x}px;top:${y}px;width:${w}px">${esc(p.title)}</div>`);
      continue;
    }
    const unit = p.fieldConfig?.defaults?.unit;
    const lines = new Map<string, Array<[number, number]>>();
    for (const target of p.targets ?? []) {
      const query = parseQuery(target.expr);
      for (let i = 0; i < scrapes.length; i++) {
        for (const s of evaluate(query, scrapes, i, RATE_WINDOW_S)) {
          if (!Number.isFinite(s.value)) continue;
          const name = legendOf(target.legendFormat, s.labels);
          const pts = lines.get(name) ?? [];
          pts.push([scrapes[i]!.t, s.value]);
          lines.set(name, pts);
        }
      }
    }
    // Series that are zero throughout add nothing but legend noise.
    const shown = [...lines.entries()].filter(([, pts]) => pts.some(([, v]) => v !== 0)).sort(([a], [b]) => a.localeCompare(b));
    const zeros = lines.size - shown.length;
    const plotW = w - 60;
    const plotH = h - 118;
    const maxV = Math.max(...shown.flatMap(([, pts]) => pts.map(([, v]) => v)), 0) || 1;
    const sx = (t: number): number => 50 + (t / last) * plotW;
    const sy = (v: number): number => 30 + plotH - (v / maxV) * plotH;
    const svg: string[] = [];
    for (const f of [0, 0.5, 1]) {
      svg.push(`<line x1="50" x2="${50 + plotW}" y1="${sy(maxV * f)}" y2="${sy(maxV * f)}" class="grid"/>`, `<text x="46" y="${sy(maxV * f) + 4}" class="tick" text-anchor="end">${esc(fmt(maxV * f, unit))}</text>`);
    }
    for (let t = 0; t <= last; t += 30) svg.push(`<text x="${sx(t)}" y="${30 + plotH + 14}" class="tick" text-anchor="middle">${Math.floor(t / 60)}:${String(Math.round(t % 60)).padStart(2, '0')}</text>`);
    shown.forEach(([, pts], i) => {
      const d = pts.map(([t, v], j) => `${j === 0 ? 'M' : 'L'}${sx(t).toFixed(1)},${sy(v).toFixed(1)}`).join('');
      svg.push(`<path d="${d}" stroke="${COLORS[i % COLORS.length]}" fill="none" stroke-width="1.4"/>`);
    });
    const legend = shown.slice(0, 8).map(([name], i) => `<span><i style="background:${COLORS[i % COLORS.length]}"></i>${esc(name)}</span>`).join('');
    const more = shown.length > 8 ? `<span>+${shown.length - 8} more</span>` : '';
    const empty = shown.length === 0 ? `<div class="empty">${lines.size === 0 ? 'No data: no series on this build\'s /metrics' : `0 throughout (${zeros} series)`}</div>` : '';
    const zeroNote = shown.length > 0 && zeros > 0 ? `<span class="muted">${zeros} more at 0</span>` : '';
    parts.push(
      `<div class="panel" style="left:${x}px;top:${y}px;width:${w}px;height:${h}px"><div class="title">${esc(p.title)}</div>` +
        `<svg width="${w}" height="${plotH + 50}">${svg.join('')}</svg>${empty}<div class="legend">${legend}${more}${zeroNote}</div></div>`,
    );
  }
  const span = `${scrapes.length} scrapes over ${Math.round(last)} s; rate window ${RATE_WINDOW_S} s`;
  return `<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;background:#111217;font-family:Inter,Helvetica,Arial,sans-serif;color:#ccccdc;width:1600px;height:${height}px;position:relative}
.head{position:absolute;left:10px;top:12px;font-size:18px;color:#fff}.head small{color:#8e8e9e;font-size:12px;margin-left:12px}
.row{position:absolute;font-size:14px;font-weight:600;color:#d8d9da;padding:6px 4px}
.panel{position:absolute;background:#181b1f;border:1px solid #2c3235;border-radius:3px;overflow:hidden}
.title{font-size:13px;font-weight:500;padding:6px 10px;color:#d8d9da}
.grid{stroke:#2c3235;stroke-width:1}.tick{fill:#8e8e9e;font-size:10px}
.legend{font-size:10.5px;padding:0 10px;line-height:14px}.legend span{margin-right:10px;white-space:nowrap}.legend i{display:inline-block;width:10px;height:3px;margin-right:4px;vertical-align:middle}
.muted{color:#6e6e7e}.empty{position:absolute;top:45%;width:100%;text-align:center;color:#8e8e9e;font-size:13px}
</style></head><body><div class="head">${esc(dashboard.title)}<small>rendered from the operator's real /metrics: ${esc(span)} (hack/render-dashboard.ts)</small></div>${parts.join('')}</body></html>`;
}
