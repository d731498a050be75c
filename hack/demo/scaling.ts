// The three ways to scale, each done for real against the demo's Cluster:
//  1. edit the Cluster (kubectl patch), and the StatefulSet follows;
//  2. an apply the operator's validating webhook refuses (a count above --max-replicas), with its
//     message, and nothing changes;
//  3. the scaling API, called with a token minted for the sample scaler's ServiceAccount.
// Each ends with a line starting "✓ scaling <n>/3" that the demo's test looks for.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import {
  CERT_SECRET,
  CLUSTER,
  CLUSTER_MANIFEST,
  type DemoLayout,
  NAMESPACE,
  OPERATOR_NAMESPACE,
  root,
  SCALER_SERVICE_ACCOUNT,
  SCALING_AUDIENCE,
} from './layout.ts';
import { run, type Kubectl } from './run.ts';
import { echo, rel, say, show, step } from './say.ts';
import { waitClusterReady, waitStatefulSet } from './wait.ts';

const ENGINE_SET = `${CLUSTER}-engine`;

interface ClusterSpecJson {
  spec: Record<string, { replicas?: number } | undefined>;
}

async function replicasOf(kubectl: Kubectl, component: string): Promise<number | undefined> {
  const c = await kubectl.json<ClusterSpecJson>(['get', 'cluster', CLUSTER, '-n', NAMESPACE]);
  return c?.spec[component]?.replicas;
}

export async function scaleByPatch(kubectl: Kubectl, to: number): Promise<void> {
  step(`Scaling 1/3: edit the Cluster; the operator changes the engine's StatefulSet`);
  const from = await replicasOf(kubectl, 'engine');
  const patch = JSON.stringify({ spec: { engine: { replicas: to } } });
  echo(`kubectl patch cluster ${CLUSTER} -n ${NAMESPACE} --type merge -p '${patch}'`);
  show(await kubectl.ok(['patch', 'cluster', CLUSTER, '-n', NAMESPACE, '--type', 'merge', '-p', patch]));
  await waitStatefulSet(kubectl, NAMESPACE, ENGINE_SET, to);
  await waitClusterReady(kubectl, NAMESPACE, CLUSTER);
  say(`✓ scaling 1/3: kubectl patch: engine ${from} → ${to}; StatefulSet ${ENGINE_SET} has ${to}/${to} pods ready`);
}

/** A typo'd count (200 engines for 20): above the operator's --max-replicas, a rule only its webhook knows. */
const TYPO_REPLICAS = 200;

export async function refusedApply(kubectl: Kubectl, l: DemoLayout): Promise<void> {
  step(`Scaling 2/3: an apply with a typo (engine replicas ${TYPO_REPLICAS}) above the operator's limit; its validating webhook refuses it`);
  const manifest = parse(readFileSync(join(root, CLUSTER_MANIFEST), 'utf8')) as { metadata: Record<string, unknown>; spec: { engine: { replicas: number } } };
  const before = await replicasOf(kubectl, 'engine');
  manifest.metadata.namespace = NAMESPACE;
  manifest.spec.engine.replicas = TYPO_REPLICAS;
  writeFileSync(l.badManifest, `# ${CLUSTER_MANIFEST} with spec.engine.replicas: ${TYPO_REPLICAS} (the demo's refused apply)\n${stringify(manifest)}`);
  say(`${rel(l.badManifest)} is ${CLUSTER_MANIFEST} with spec.engine.replicas: ${TYPO_REPLICAS}`);
  echo(`kubectl apply -f ${rel(l.badManifest)}`);
  const r = await kubectl(['apply', '-f', l.badManifest]);
  show(r.stdout);
  show(r.stderr);
  if (r.code === 0) throw new Error(`the apply of ${TYPO_REPLICAS} engines was accepted: the validating webhook did not refuse it`);
  // The webhook answers with the field and the reason (kubectl shows them as "is invalid"); only
  // the webhook names the operator's flag, no schema or CEL rule does.
  if (!r.stderr.includes('--max-replicas')) {
    throw new Error(`the apply failed, but not with the webhook's refusal: ${r.stderr.trim()}`);
  }
  const after = await replicasOf(kubectl, 'engine');
  if (after !== before) throw new Error(`spec.engine.replicas changed from ${before} to ${after} although the apply was refused`);
  say(`✓ scaling 2/3: refused by the webhook; spec.engine.replicas is still ${after}`);
}

export async function scaleByApi(kubectl: Kubectl, l: DemoLayout, webhookPort: number, to: number): Promise<void> {
  step('Scaling 3/3: the scaling API, as a program with its own ServiceAccount token calls it');
  const rbac = ['config/rbac/scaler_role.yaml', 'samples/scaler/service_account.yaml', 'samples/scaler/role_binding.yaml'];
  echo(`kubectl apply ${rbac.map((f) => `-f ${f}`).join(' ')}`);
  show(await kubectl.ok(['apply', ...rbac.flatMap((f) => ['-f', join(root, f)])]));

  echo(`kubectl create token ${SCALER_SERVICE_ACCOUNT} -n ${NAMESPACE} --audience ${SCALING_AUDIENCE} > ${rel(l.scalerToken)}`);
  const token = await kubectl.ok(['create', 'token', SCALER_SERVICE_ACCOUNT, '-n', NAMESPACE, '--audience', SCALING_AUDIENCE]);
  writeFileSync(l.scalerToken, token.trim(), { mode: 0o600 });

  echo(`kubectl get secret ${CERT_SECRET} -n ${OPERATOR_NAMESPACE} -o jsonpath='{.data.ca\\.crt}' | base64 -d > ${rel(l.operatorCa)}`);
  const secret = await kubectl.json<{ data?: Record<string, string> }>(['get', 'secret', CERT_SECRET, '-n', OPERATOR_NAMESPACE]);
  const ca = secret?.data?.['ca.crt'];
  if (!ca) throw new Error(`Secret ${OPERATOR_NAMESPACE}/${CERT_SECRET} has no ca.crt: the operator has not made its certificates`);
  writeFileSync(l.operatorCa, Buffer.from(ca, 'base64'));

  const url = `https://127.0.0.1:${webhookPort}`;
  const env = { ENGULA_OPERATOR_URL: url, TOKEN_FILE: l.scalerToken, CA_FILE: l.operatorCa };
  const prefix = `ENGULA_OPERATOR_URL=${url} TOKEN_FILE=${rel(l.scalerToken)} CA_FILE=${rel(l.operatorCa)}`;
  const client = async (args: string[]) => {
    echo(`${prefix} node samples/scaler/scale-client.ts ${args.join(' ')}`);
    const r = await run(process.execPath, ['samples/scaler/scale-client.ts', ...args], { env });
    show(r.stdout);
    show(r.stderr);
    if (r.code !== 0) throw new Error(`the scaling API refused the call (exit ${r.code})`);
    return JSON.parse(r.stdout) as { spec: { replicas: number }; status: { replicas: number } };
  };
  const read = await client([NAMESPACE, CLUSTER, 'engine']);
  const written = await client([NAMESPACE, CLUSTER, 'engine', String(to)]);
  if (written.spec.replicas !== to) throw new Error(`the scaling API answered spec.replicas ${written.spec.replicas}, not ${to}`);
  await waitStatefulSet(kubectl, NAMESPACE, ENGINE_SET, to);
  await waitClusterReady(kubectl, NAMESPACE, CLUSTER);
  say(`✓ scaling 3/3: scaling API as system:serviceaccount:${NAMESPACE}:${SCALER_SERVICE_ACCOUNT}: engine ${read.spec.replicas} → ${to}; StatefulSet ${ENGINE_SET} has ${to}/${to} pods ready`);
}
