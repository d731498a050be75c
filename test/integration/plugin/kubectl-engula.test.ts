// `kubectl engula` (issue 23) run the way users run it: through the real kubectl, which finds the
// plugin as an executable named kubectl-engula on PATH, against the real control plane with the
// operator running as deployed (webhooks on, leader election on). A Cluster is made Ready on kwok's
// nodes; status is read as text and as JSON, once Ready and once in the middle of a roll that stops
// on a pod no node takes; each action's effect on the Cluster's spec is read back with kubectl; and
// the errors are provoked for real: an unknown Cluster, a control plane without the CRDs (a second,
// bare one), a user without rights (a ServiceAccount token), a server that is gone. The text outputs
// are logged (t.diagnostic) as evidence of what a user sees.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { before, describe, it, type TestContext } from 'node:test';
import { parse, stringify } from 'yaml';
import { startControlPlane, tempControlPlaneDir } from '../../../testenv/controlplane.ts';
import { testenvLogger } from '../../../testenv/logger.ts';
import type { StatusView } from '../../../plugin/view/types.ts';
import { kubectlOk, run, testEnv, waitFor, type CommandResult } from '../../support/kube.ts';
import { getJson } from '../../support/operator.ts';
import { mintToken, scratchDir, serviceAccount } from '../../support/scaling-callers.ts';
import { operatorSuite } from '../../support/suite.ts';

const root = resolve(import.meta.dirname, '..', '..', '..');
const NAME = 'cluster-sample';

/** The original operator's sample with three journal pods, so a roll of the journal has steps to stop between. */
function sample(): string {
  const s = parse(readFileSync(resolve(root, 'samples/cluster-original.yaml'), 'utf8')) as { spec: Record<string, Record<string, unknown>> };
  s.spec.journal!.replicas = 3;
  return stringify(s);
}

/** A kubeconfig of one context: this server, as this user, in this namespace. */
function kubeconfigFile(path: string, server: string, user: Record<string, string>, namespace?: string): string {
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'test',
      clusters: [{ name: 'test', cluster: { server, 'certificate-authority': testEnv().caCertPath } }],
      users: [{ name: 'user', user }],
      contexts: [{ name: 'test', context: { cluster: 'test', user: 'user', ...(namespace ? { namespace } : {}) } }],
    }),
    { mode: 0o600 },
  );
  return path;
}

function logOutput(t: TestContext, title: string, text: string): void {
  t.diagnostic(`${title}:\n${text.trimEnd()}`);
}

describe('kubectl engula, through kubectl, against the control plane', { timeout: 600_000 }, () => {
  const suite = operatorSuite('plugin');
  let ns = '';
  let dir = '';
  let pathWithPlugin = '';

  /** `kubectl engula ARGS` with the admin kubeconfig in KUBECONFIG (as a user's shell has it), or the env given. */
  function engula(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CommandResult> {
    const { binDir, kubeconfig } = testEnv();
    return run(join(binDir, 'kubectl'), ['engula', ...args], { env: { ...process.env, KUBECONFIG: kubeconfig, ...env, PATH: pathWithPlugin }, timeoutMs: 60_000 });
  }

  async function engulaOk(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
    const r = await engula(args, env);
    assert.equal(r.code, 0, `kubectl engula ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  }

  async function statusJson(): Promise<StatusView> {
    return JSON.parse(await engulaOk(['status', NAME, '-n', ns, '-o', 'json'])) as StatusView;
  }

  /** Ready by the plugin's own account, at the Cluster's latest generation. */
  async function readyByPlugin(what: string): Promise<StatusView> {
    return waitFor(what, async () => {
      const v = await statusJson();
      const c = v.cluster;
      return c.phase === 'Ready' && c.observedGeneration === c.generation && !v.rollout.inProgress && v.pods.every((p) => p.ready && p.revisionState === 'update') ? v : undefined;
    }, { timeoutMs: 240_000, intervalMs: 1_000 });
  }

  before(async () => {
    ns = suite.ns();
    dir = scratchDir(suite.cleanup, 'kubectl-engula');
    // What kubectl looks for: an executable named kubectl-engula on PATH. It runs the source, as `npm link` would run the build.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'kubectl-engula'), `#!/bin/sh\nexec "${resolve(root, 'node_modules/.bin/node')}" "${resolve(root, 'cmd/kubectl-engula.ts')}" "$@"\n`);
    chmodSync(join(bin, 'kubectl-engula'), 0o755);
    pathWithPlugin = `${bin}:${testEnv().binDir}:${process.env.PATH ?? ''}`;
    await kubectlOk(['-n', ns, 'apply', '-f', '-'], { input: sample() });
  });

  it('kubectl finds the plugin: --help, per-command help, version', async (t) => {
    const plugins = await run(join(testEnv().binDir, 'kubectl'), ['plugin', 'list', '--name-only'], { env: { ...process.env, PATH: pathWithPlugin } });
    assert.match(plugins.stdout, /^kubectl-engula$/m);
    const help = await engulaOk(['--help']);
    for (const c of ['status', 'restart', 'pause', 'resume', 'hibernate', 'wake', 'scale', 'version']) assert.match(help, new RegExp(`^  ${c} `, 'm'));
    assert.match(await engulaOk(['status', '--help']), /Usage:\n {2}kubectl engula status \[CLUSTER\] \[flags\]/);
    const version = await engulaOk(['version']);
    logOutput(t, 'kubectl engula version', version);
    assert.match(version, /^Client Version: v\d+\.\d+\.\d+\nAPI Version: cluster\.engula\.io\/v1alpha1\nServer Version: v1\.\d+\.\d+\nEngula CRDs: installed \(clusters, engines, journals, kernels, storages\)\n$/);
  });

  it('status of a Ready Cluster: as text, and the same as -o json', async (t) => {
    const view = await readyByPlugin('the sample Ready, as kubectl engula status -o json says');
    const text = await engulaOk(['status', NAME, '-n', ns]);
    logOutput(t, `kubectl engula status ${NAME} -n ${ns} (Ready)`, text);
    logOutput(t, `kubectl engula status ${NAME} -n ${ns} -o json (Ready)`, JSON.stringify(view, null, 4));

    assert.match(text, new RegExp(`^Name: +${NAME}\\nNamespace: +${ns}\\n`));
    assert.match(text, /\nPhase: +Ready, 4\/4 components ready\n/);
    assert.doesNotMatch(text, /\u001b\[/, 'no colour when stdout is not a terminal');
    for (const [component, n] of [['journal', 3], ['storage', 1], ['kernel', 1], ['engine', 1]] as const) {
      assert.match(text, new RegExp(`\\n {2}${component} +${component}/${NAME}-${component} +${n}/${n} +${n} +Ready +[0-9a-f]+\\n`), `${component} ${n}/${n} Ready`);
    }
    assert.match(text, /\nRollout:\n {2}No roll in progress/);
    assert.match(text, new RegExp(`\\n {2}${NAME}-journal-2 +journal +1/1 +Running +0 +[0-9a-f]+ +\\S+ +kwok-node-\\d\\n`));
    assert.match(text, new RegExp(`\\n {2}data-${NAME}-journal-0 +Bound +1Gi +RWO +standard +${NAME}-journal-0 `));
    assert.match(text, /\nEvents:\n/);

    // The JSON is the view the text was made of, and agrees with what kubectl itself reads.
    assert.deepEqual(view.components.map((c) => [c.component, c.ready, c.desired, c.updated, c.phase]), [['journal', 3, 3, 3, 'Ready'], ['storage', 1, 1, 1, 'Ready'], ['kernel', 1, 1, 1, 'Ready'], ['engine', 1, 1, 1, 'Ready']]);
    const pods = JSON.parse(await kubectlOk(['-n', ns, 'get', 'pods', '-o', 'json'])) as { items: Array<{ metadata: { name: string }; spec: { nodeName: string } }> };
    assert.deepEqual(view.pods.map((p) => `${p.name} ${p.node}`).sort(), pods.items.map((p) => `${p.metadata.name} ${p.spec.nodeName}`).sort());
    const sts = await getJson<{ status: { updateRevision: string } }>(ns, 'statefulset', `${NAME}-journal`);
    assert.equal(view.components[0]?.updateRevision, sts?.status.updateRevision);
    assert.ok(view.pods.filter((p) => p.component === 'journal').every((p) => p.revision === sts?.status.updateRevision));
    assert.deepEqual(view.claims.map((c) => `${c.name} ${c.status} ${c.capacity}`), ['journal', 'journal', 'journal', 'storage', 'kernel', 'engine'].map((c, i) => `data-${NAME}-${c}-${c === 'journal' ? i : 0} Bound 1Gi`));
    assert.deepEqual(view.conditions.filter((c) => c.object === `cluster/${NAME}`).map((c) => `${c.type} ${c.status}`), ['Ready True', 'Progressing False', 'Degraded False']);
    // The newest Events of the Cluster's objects only: itself, its children, their StatefulSets, pods and claims.
    assert.ok(view.events.length > 0);
    for (const e of view.events) assert.match(e.object, new RegExp(`^(cluster/${NAME}|(journal|storage|kernel|engine|statefulset|pod)/${NAME}-[a-z]+(-\\d+)?|persistentvolumeclaim/data-${NAME}-[a-z]+-\\d+)$`), e.object);

    const list = await engulaOk(['status', '-n', ns]);
    assert.match(list, new RegExp(`^NAME +PHASE +READY +JOURNAL +STORAGE +KERNEL +ENGINE +AGE\\n${NAME} +Ready +4/4 +3/3 +1/1 +1/1 +1/1 +\\S+\\n$`));
    assert.match(await engulaOk(['status', '-A']), new RegExp(`^NAMESPACE +NAME[^\\n]*\\n(.*\\n)*${ns} +${NAME} +Ready `));
  });

  it('status mid-roll: the component that rolls, its partition, the pod it waits for and why', async (t) => {
    await kubectlOk(['-n', ns, 'patch', 'cluster', NAME, '--type=merge', '-p', '{"spec":{"journal":{"nodeSelector":{"engula.example.com/no-such-node":"true"}}}}']);
    const view = await waitFor('kubectl engula status to show the journal roll stopped at its highest pod', async () => {
      const v = await statusJson();
      return v.rollout.steps.some((s) => s.component === 'journal' && s.state === 'Stuck' && s.waitingFor?.pod === `${NAME}-journal-2`) ? v : undefined;
    }, { timeoutMs: 120_000, intervalMs: 1_000 });
    const text = await engulaOk(['status', NAME, '-n', ns]);
    logOutput(t, `kubectl engula status ${NAME} -n ${ns} (mid-roll)`, text);
    logOutput(t, `kubectl engula status ${NAME} -n ${ns} -o json (mid-roll), rollout`, JSON.stringify(view.rollout, null, 4));

    const step = view.rollout.steps[0]!;
    assert.equal(view.rollout.inProgress, true);
    assert.deepEqual([step.component, step.state, step.updated, step.replicas, step.partition], ['journal', 'Stuck', 1, 3, 2]);
    assert.notEqual(step.currentRevision, step.updateRevision);
    assert.match(step.message, new RegExp(`The roll stopped: pod ${NAME}-journal-2 is Pending and unschedulable`));
    assert.deepEqual([step.waitingFor?.pod, step.waitingFor?.status], [`${NAME}-journal-2`, 'Pending']);
    assert.match(step.waitingFor?.reason ?? '', /PodScheduled False, Unschedulable: 0\/3 nodes are available/);
    const journal = view.pods.filter((p) => p.component === 'journal').map((p) => `${p.name} ${p.revisionState} ${p.ready}`);
    assert.deepEqual(journal, [`${NAME}-journal-0 current true`, `${NAME}-journal-1 current true`, `${NAME}-journal-2 update false`]);

    assert.match(text, /\nPhase: +Degraded, 3\/4 components ready\n/);
    assert.match(text, /\nRollout:\n {2}journal: Stuck, 1\/3 pods updated, [0-9a-f]+ -> [0-9a-f]+, partition 2\n {4}The roll stopped: pod cluster-sample-journal-2 is Pending and unschedulable: [^\n]+\n {4}Waits for pod cluster-sample-journal-2: Pending\n/);
    assert.match(text, new RegExp(`\\n {2}${NAME}-journal-0 +journal +1/1 +Running +0 +[0-9a-f]+ \\(old\\) `));
    assert.match(text, new RegExp(`\\n {2}${NAME}-journal-2 +journal +0/1 +Pending +0 +[0-9a-f]+ +\\S+ +<none>\\n`));
    assert.match(text, new RegExp(`\\n {2}journal/${NAME}-journal +Degraded +True +RolloutStuck `));
    assert.match(text, /Warning +RolloutStuck +journal\/cluster-sample-journal /);

    await kubectlOk(['-n', ns, 'patch', 'cluster', NAME, '--type=json', '-p', '[{"op":"remove","path":"/spec/journal/nodeSelector"}]']);
    await readyByPlugin('the Cluster Ready again after the revert, as kubectl engula status says');
  });

  it("errors: an unknown Cluster; a user without rights (named, with the verb and resource); a user who may read but not change", async (t) => {
    const missing = await engula(['status', 'no-such-cluster', '-n', ns]);
    logOutput(t, 'kubectl engula status no-such-cluster (stderr)', missing.stderr);
    assert.deepEqual([missing.code, missing.stdout, missing.stderr], [1, '', 'Error from server (NotFound): clusters.cluster.engula.io "no-such-cluster" not found\n']);
    const restartMissing = await engula(['restart', 'no-such-cluster', '-n', ns]);
    assert.deepEqual([restartMissing.code, restartMissing.stderr], [1, 'Error from server (NotFound): clusters.cluster.engula.io "no-such-cluster" not found\n']);

    const { apiServerUrl } = testEnv();
    await serviceAccount(ns, 'nobody');
    const nobody = kubeconfigFile(join(dir, 'nobody.kubeconfig'), apiServerUrl, { token: await mintToken(ns, 'nobody', []) }, ns);
    // --kubeconfig, after the plugin's name: kubectl hands it to the plugin, which loads it.
    const refused = await engula(['status', NAME, '--kubeconfig', nobody]);
    logOutput(t, 'kubectl engula status as a user without rights (stderr)', refused.stderr);
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, '');
    assert.equal(
      refused.stderr,
      `Error from server (Forbidden): clusters.cluster.engula.io "${NAME}" is forbidden: User "system:serviceaccount:${ns}:nobody" cannot get resource "clusters" in API group "cluster.engula.io" in the namespace "${ns}"\n` +
        `(check with: kubectl auth can-i get clusters.cluster.engula.io -n ${ns})\n`,
    );

    await kubectlOk(['-n', ns, 'create', 'role', 'cluster-viewer', '--verb=get,list', '--resource=clusters.cluster.engula.io']);
    await serviceAccount(ns, 'viewer', { role: 'cluster-viewer' });
    const viewer = kubeconfigFile(join(dir, 'viewer.kubeconfig'), apiServerUrl, { token: await mintToken(ns, 'viewer', []) }, ns);
    // It may read the Cluster only: status shows it and says what it was refused; a change is refused by name.
    const partial = await engula(['status', NAME, '--kubeconfig', viewer]);
    logOutput(t, 'kubectl engula status as a user who may read Clusters only (stdout)', partial.stdout);
    logOutput(t, 'kubectl engula status as a user who may read Clusters only (stderr)', partial.stderr);
    assert.equal(partial.code, 0, partial.stderr);
    assert.match(partial.stdout, /\nPhase: +Ready, 4\/4 components ready\n/);
    assert.match(partial.stdout, new RegExp(`\\n {2}journal +journal/${NAME}-journal \\(not readable\\) +3/3 +0 +Ready +<none>\\n`), "the Cluster's own summary of each component");
    assert.match(partial.stderr, new RegExp(`^Warning: left out, as the server refused it: list pods: pods is forbidden: User "system:serviceaccount:${ns}:viewer" cannot list resource "pods"`, 'm'));
    assert.match(partial.stderr, /^Warning: left out, as the server refused it: get journals\.cluster\.engula\.io: /m);
    const change = await engula(['restart', NAME, '--kubeconfig', viewer]);
    assert.equal(change.code, 1);
    assert.match(change.stderr, new RegExp(`^Error from server \\(Forbidden\\): clusters.cluster.engula.io "${NAME}" is forbidden: User "system:serviceaccount:${ns}:viewer" cannot patch resource "clusters" in API group "cluster.engula.io" in the namespace "${ns}"\\n\\(check with: kubectl auth can-i patch clusters.cluster.engula.io -n ${ns}\\)\\n$`));
  });

  it('errors: a control plane without the Engula CRDs, then the same server gone', async (t) => {
    // A second, bare control plane (etcd and kube-apiserver): the real answer of a cluster where `make install` was never run.
    const bare = await startControlPlane({ dir: tempControlPlaneDir(), mode: 'apiserver', binDir: testEnv().binDir, logger: testenvLogger('plugin-test') });
    let stopped = false;
    t.after(async () => {
      if (!stopped) await bare.stop();
    });
    const noCrds = await engula(['status', NAME, '-n', 'default'], { KUBECONFIG: bare.kubeconfig });
    logOutput(t, 'kubectl engula status on a control plane without the CRDs (stderr)', noCrds.stderr);
    assert.equal(noCrds.code, 1);
    assert.equal(
      noCrds.stderr,
      'error: the server doesn\'t have a resource type "clusters" (clusters.cluster.engula.io): the Engula CRDs are not installed in this cluster.\n' +
        'Install them with `make install` from the engula-operator repository (kubectl apply --server-side -f config/crd/bases).\n',
    );
    assert.match(await engulaOk(['version'], { KUBECONFIG: bare.kubeconfig }), /\nEngula CRDs: not installed \(make install\)\n$/);

    const port = new URL(bare.apiServerUrl).port;
    // stop() removes the control plane's folder, its kubeconfig with it: keep a copy to point at the server gone.
    const kubeconfig = join(dir, 'gone.kubeconfig');
    copyFileSync(bare.kubeconfig, kubeconfig);
    await bare.stop();
    stopped = true;
    const gone = await engula(['status', NAME, '-n', 'default'], { KUBECONFIG: kubeconfig });
    logOutput(t, 'kubectl engula status with the server gone (stderr)', gone.stderr);
    assert.deepEqual([gone.code, gone.stderr], [1, `The connection to the server 127.0.0.1:${port} was refused - did you specify the right host or port?\n`]);
  });

  it('--context picks a context of the kubeconfig, and its namespace is the default for -n', async () => {
    const { apiServerUrl, kubeconfig } = testEnv();
    const admin = parse(readFileSync(kubeconfig, 'utf8')) as { users: Array<{ user: Record<string, string> }> };
    const file = join(dir, 'two-contexts.kubeconfig');
    writeFileSync(
      file,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'nowhere',
        clusters: [
          { name: 'test', cluster: { server: apiServerUrl, 'certificate-authority': testEnv().caCertPath } },
          { name: 'closed', cluster: { server: 'https://127.0.0.1:1' } },
        ],
        users: [{ name: 'admin', user: admin.users[0]?.user ?? {} }],
        contexts: [
          { name: 'nowhere', context: { cluster: 'closed', user: 'admin' } },
          { name: 'test', context: { cluster: 'test', user: 'admin', namespace: ns } },
        ],
      }),
      { mode: 0o600 },
    );
    const viaContext = await engulaOk(['status', NAME, '--kubeconfig', file, '--context', 'test', '-o', 'json']);
    assert.equal((JSON.parse(viaContext) as StatusView).cluster.namespace, ns, "the context's namespace, with no -n");
    const current = await engula(['status', NAME, '--kubeconfig', file]);
    assert.deepEqual([current.code, current.stderr], [1, 'The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?\n']);
    const unknown = await engula(['status', NAME, '--kubeconfig', file, '--context', 'staging']);
    assert.deepEqual([unknown.code, unknown.stderr], [1, 'error: context "staging" does not exist\n']);
  });

  it("actions: each changes the Cluster's spec as documented, and says so as kubectl does", async (t) => {
    const spec = async (): Promise<{ restartedAt?: string; paused?: boolean; hibernate?: boolean; engine: { replicas: number }; journal: { replicas: number } }> =>
      ((await getJson<{ spec: never }>(ns, 'cluster', NAME)) as { spec: never }).spec;
    const lines: string[] = [];
    const act = async (args: string[]): Promise<CommandResult> => {
      const r = await engula([...args, '-n', ns]);
      lines.push(`$ kubectl engula ${args.join(' ')} -n ${ns}\n${r.stdout}${r.stderr}`.trimEnd());
      return r;
    };
    const ok = async (args: string[], line: string): Promise<void> => {
      const r = await act(args);
      assert.deepEqual([r.code, r.stdout], [0, `${line}\n`], r.stderr);
    };

    const before = Date.now();
    await ok(['restart', NAME], `cluster.cluster.engula.io/${NAME} restarted`);
    const restartedAt = Date.parse((await spec()).restartedAt ?? '');
    assert.ok(restartedAt >= before - 1_000 && restartedAt <= Date.now() + 1_000, 'spec.restartedAt is now');

    await ok(['pause', NAME], `cluster.cluster.engula.io/${NAME} paused`);
    assert.equal((await spec()).paused, true);
    await ok(['pause', NAME], `cluster.cluster.engula.io/${NAME} paused (no change)`);
    const whilePaused = await act(['scale', NAME, 'engine', '2']);
    assert.equal(whilePaused.stdout, `cluster.cluster.engula.io/${NAME} scaled (engine: 1 -> 2)\n`);
    assert.match(whilePaused.stderr, new RegExp(`^Warning: Cluster ${NAME} is paused: the pods follow once it is resumed \\(kubectl engula resume ${NAME}\\)\\n$`));
    assert.equal((await spec()).engine.replicas, 2);
    await ok(['resume', NAME], `cluster.cluster.engula.io/${NAME} resumed`);
    assert.equal((await spec()).paused, false);

    await ok(['hibernate', NAME], `cluster.cluster.engula.io/${NAME} hibernated`);
    assert.equal((await spec()).hibernate, true);
    await ok(['wake', NAME], `cluster.cluster.engula.io/${NAME} woken`);
    assert.equal((await spec()).hibernate, false);

    // Admission's rules hold: a journal shrink without spec.allowScaleDown is refused, in the webhook's words.
    const shrink = await act(['scale', NAME, 'journal', '2']);
    assert.equal(shrink.code, 1);
    assert.match(shrink.stderr, /^Error from server \([A-Za-z]+\): .*spec\.journal\.replicas: .*allowScaleDown/);
    assert.equal((await spec()).journal.replicas, 3);
    const noKernelZero = await act(['scale', NAME, 'kernel', '0']);
    assert.equal(noKernelZero.code, 1);
    assert.match(noKernelZero.stderr, /spec\.kernel\.replicas/);
    logOutput(t, 'actions', lines.join('\n'));

    // The writes are the plugin's own in managedFields, so `kubectl get --show-managed-fields` says who changed what.
    const managed = JSON.parse(await kubectlOk(['-n', ns, 'get', 'cluster', NAME, '-o', 'json', '--show-managed-fields'])) as {
      metadata: { managedFields: Array<{ manager: string; fieldsV1?: { 'f:spec'?: Record<string, unknown> } }> };
    };
    const owners = managed.metadata.managedFields.filter((f) => f.fieldsV1?.['f:spec']?.['f:restartedAt'] !== undefined).map((f) => f.manager);
    assert.deepEqual(owners, ['kubectl-engula']);
  });
});
