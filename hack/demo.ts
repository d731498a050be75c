// make demo / make demo-down: the operator doing its job on a local control plane, in one command.
//
//   node hack/demo.ts up     builds or reuses the control plane's binaries, starts (or reuses) a
//                            control plane in DEMO_DIR (default .demo/), installs the CRDs, (re)starts
//                            the operator in the background, applies samples/cluster-full.yaml, waits
//                            until it is Ready, then scales it the three ways (hack/demo/scaling.ts),
//                            and ends with `kubectl engula status` of it (hack/demo/plugin.ts).
//   node hack/demo.ts down   stops the operator and the control plane and removes DEMO_DIR.
//
// Running `up` twice is safe: a live control plane is reused, the operator is restarted, and the
// steps bring the Cluster to the same counts again.
import { existsSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { GROUP, KIND_NAMES, KINDS } from '../api/v1alpha1/index.ts';
import { resolveBinDir } from '../testenv/bins.ts';
import { files } from '../testenv/components.ts';
import { startControlPlane, stopControlPlaneAt, type ControlPlaneState } from '../testenv/controlplane.ts';
import { isAlive } from '../testenv/process.ts';
import { CLUSTER, CLUSTER_MANIFEST, demoLayout, type DemoLayout, NAMESPACE, WEBHOOK_PORT } from './demo/layout.ts';
import { runningOperator, startOperator, stopOperator, type OperatorRecord } from './demo/operator.ts';
import { installPlugin, pluginStatus } from './demo/plugin.ts';
import { kubectlFor, type Kubectl } from './demo/run.ts';
import { echo, rel, say, show, step } from './demo/say.ts';
import { refusedApply, scaleByApi, scaleByPatch } from './demo/scaling.ts';
import { waitClusterReady } from './demo/wait.ts';

/** The counts the scaling steps set: the sample has 2 engines; a patch makes 3, the scaling API 4. */
const ENGINES_BY_PATCH = 3;
const ENGINES_BY_API = 4;

/** The control plane's pino lines, printed as plain progress lines. */
function controlPlaneLogger() {
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const { msg, level, time: _t, pid: _p, hostname: _h, name: _n, ...rest } = JSON.parse(line) as Record<string, unknown>;
        const extra = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
        say(`control plane: ${String(msg)}${extra ? ` (${extra})` : ''}${Number(level) >= 50 ? ' [error]' : ''}`);
      }
      done();
    },
  });
  return pino({ level: 'info' }, out);
}

function liveControlPlane(l: DemoLayout): ControlPlaneState | undefined {
  const stateFile = files(l.dir).state;
  if (!existsSync(stateFile)) return undefined;
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as ControlPlaneState;
  return state.processes.length > 0 && state.processes.every((p) => isAlive(p.pid)) ? state : undefined;
}

async function controlPlane(l: DemoLayout, binDir: string): Promise<void> {
  step('Local control plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok with 3 fake nodes');
  if (liveControlPlane(l)) {
    say(`reusing the control plane already running in ${rel(l.dir)}`);
    return;
  }
  if (existsSync(l.dir)) {
    say(`${rel(l.dir)} holds a control plane that is not fully running: stopping what is left and starting again`);
    await stopOperator(l);
    await stopControlPlaneAt(l.dir);
  }
  await startControlPlane({ dir: l.dir, mode: 'full', binDir, nodes: 3, logger: controlPlaneLogger() });
}

async function installCrds(kubectl: Kubectl): Promise<void> {
  step('CRDs (make install)');
  echo('kubectl apply --server-side --force-conflicts -f config/crd/bases');
  show(await kubectl.ok(['apply', '--server-side', '--force-conflicts', '-f', 'config/crd/bases']));
  const crds = KIND_NAMES.map((kind) => `crd/${KINDS[kind].plural}.${GROUP}`);
  echo(`kubectl wait --for=condition=Established --timeout=60s ${crds.join(' ')}`);
  show(await kubectl.ok(['wait', '--for=condition=Established', '--timeout=60s', ...crds]));
}

async function operator(l: DemoLayout, kubectl: Kubectl): Promise<OperatorRecord> {
  step(`The operator, in the background: webhooks and the scaling API on https://127.0.0.1:${WEBHOOK_PORT}, leader election on`);
  if (runningOperator(l)) {
    say('stopping the operator the last `make demo` started (it releases its Lease and its webhook configurations)');
    await stopOperator(l);
  }
  const exists = (await kubectl(['get', 'namespace', NAMESPACE])).code === 0;
  if (exists) say(`namespace ${NAMESPACE} exists`);
  else {
    echo(`kubectl create namespace ${NAMESPACE}`);
    show(await kubectl.ok(['create', 'namespace', NAMESPACE]));
  }
  echo(`node cmd/manager.ts --local-webhooks --webhook-port=${WEBHOOK_PORT} --leader-elect ... >> ${rel(l.operatorLog)} 2>&1 &`);
  const rec = await startOperator(l, kubectl, WEBHOOK_PORT);
  say(`operator pid ${rec.pid} serves: webhooks and scaling API :${rec.webhookPort}, /metrics :${rec.metricsPort}, /healthz and /readyz :${rec.probePort}; the API server calls its webhook`);
  say(`its log (pino JSON): ${rel(l.operatorLog)}`);
  return rec;
}

async function sampleCluster(kubectl: Kubectl): Promise<void> {
  step(`The sample Cluster: ${CLUSTER_MANIFEST} (journal 3, storage 3, kernel 1, engine 2)`);
  echo(`kubectl apply -f ${CLUSTER_MANIFEST} -n ${NAMESPACE}`);
  show(await kubectl.ok(['apply', '-f', CLUSTER_MANIFEST, '-n', NAMESPACE]));
  const { pods } = await waitClusterReady(kubectl, NAMESPACE, CLUSTER);
  echo(`kubectl get engula,statefulsets,services,pods -n ${NAMESPACE}`);
  show(await kubectl.ok(['get', 'engula,statefulsets,services,pods', '-n', NAMESPACE]));
  say(`✓ Cluster ${NAMESPACE}/${CLUSTER} is Ready: ${pods}/${pods} pods Running`);
}

function lookAround(l: DemoLayout, binDir: string, pluginDir: string, rec: OperatorRecord, seconds: number): void {
  const scale = `https://127.0.0.1:${rec.webhookPort}/apis/scaling.engula.io/v1/namespaces/${NAMESPACE}/clusters/${CLUSTER}/components/engine/scale`;
  const lines: Array<[string, string]> = [
    [`export KUBECONFIG=${l.kubeconfig}`, ''],
    [`export PATH=${pluginDir}:${binDir}:$PATH`, "the kubectl engula plugin, and the control plane's kubectl (any recent kubectl works)"],
    [`kubectl engula status ${CLUSTER} -n ${NAMESPACE}`, 'components, pods, the roll in progress, conditions, claims, events (docs/kubectl-engula.md)'],
    [`kubectl get engula -n ${NAMESPACE}`, 'every Engula kind; -o wide adds columns'],
    [`kubectl describe cluster ${CLUSTER} -n ${NAMESPACE}`, 'status, conditions, events'],
    [`kubectl get events -n ${NAMESPACE} --sort-by=.lastTimestamp`, ''],
    [`tail -f ${l.operatorLog}`, "the operator's log (pino JSON)"],
    [`curl -s http://127.0.0.1:${rec.metricsPort}/metrics | grep ^controller_runtime_reconcile_total`, ''],
    [`curl -s http://127.0.0.1:${rec.probePort}/readyz`, ''],
    [`curl -s --cacert ${l.operatorCa} -H "Authorization: Bearer $(cat ${l.scalerToken})" ${scale}`, 'the scaling API (GET)'],
  ];
  const text = lines.map(([cmd, comment]) => (comment ? `  # ${comment}\n  ${cmd}` : `  ${cmd}`));
  process.stdout.write(
    `\n==> Done in ${seconds.toFixed(0)} s. Look around:\n${text.join('\n')}\n` +
      `Stop everything (operator, control plane, ${rel(l.dir)}/): make demo-down\n`,
  );
}

async function up(): Promise<void> {
  const started = Date.now();
  const l = demoLayout();
  step('Control plane binaries (hack/testenv-bins.sh: built once from their Go modules, then cached)');
  const binDir = await resolveBinDir();
  say(`binaries in ${binDir}`);
  await controlPlane(l, binDir);
  const kubectl = kubectlFor(binDir, l.kubeconfig);
  await installCrds(kubectl);
  const rec = await operator(l, kubectl);
  await sampleCluster(kubectl);
  await scaleByPatch(kubectl, ENGINES_BY_PATCH);
  await refusedApply(kubectl, l);
  await scaleByApi(kubectl, l, rec.webhookPort, ENGINES_BY_API);
  echo(`kubectl get engula -n ${NAMESPACE}`);
  show(await kubectl.ok(['get', 'engula', '-n', NAMESPACE]));
  step('The sample as `kubectl engula status` shows it (the kubectl plugin: docs/kubectl-engula.md)');
  const pluginDir = installPlugin(l);
  await pluginStatus(kubectl, l, pluginDir);
  lookAround(l, binDir, pluginDir, rec, (Date.now() - started) / 1000);
}

async function down(): Promise<void> {
  const l = demoLayout();
  const operatorStopped = await stopOperator(l);
  const controlPlaneStopped = await stopControlPlaneAt(l.dir);
  say(
    operatorStopped || controlPlaneStopped
      ? `stopped ${[operatorStopped && 'the operator', controlPlaneStopped && 'the control plane'].filter(Boolean).join(' and ')}; removed ${rel(l.dir)}`
      : `nothing was running in ${rel(l.dir)}`,
  );
}

const command = process.argv[2] ?? 'up';
const commands: Record<string, () => Promise<void>> = { up, down };
const fn = commands[command];
if (!fn) {
  process.stderr.write('usage: node hack/demo.ts up|down\n');
  process.exit(2);
}
fn().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    if (command === 'up') process.stderr.write('Logs are in the demo folder (logs/); `make demo-down` stops what was started.\n');
    process.exit(1);
  },
);
