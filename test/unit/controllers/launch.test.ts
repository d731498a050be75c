// What the container runs, pinned per component and launch profile, each against the fact it rests
// on. kwok never starts a container, so these and the suite-wide launch check
// (test/support/launch-check/, run over every StatefulSet of the integration run) are what stand
// between the operator and a pod that exits 2.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { applyDefaults, COMPONENTS, LAUNCH_PROFILE_COMPONENTS, LAUNCH_PROFILES, validate, type ChildObject, type Cluster, type ComponentName } from '../../../api/v1alpha1/index.ts';
import { COMPONENT_TRAITS } from '../../../controllers/desired/traits.ts';
import { desiredChild, desiredStatefulSet, type WorkloadInput } from '../../../controllers/desired/index.ts';
import { PROFILES } from '../../../controllers/launch-profiles.ts';
import { argvOf, containerEnvironment, type ContainerLike } from '../../support/launch-check/kubelet-expand.ts';
import { checkStatefulSet } from '../../support/launch-check/statefulset.ts';

interface Container extends ContainerLike {
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}

function sample(file: string): Cluster {
  const c = parse(readFileSync(new URL(`../../../samples/${file}`, import.meta.url), 'utf8')) as Cluster;
  c.metadata = { ...c.metadata, namespace: 'default', uid: 'cluster-uid' };
  return applyDefaults('Cluster', c);
}

/** The StatefulSet the component controller writes for `component` of a Cluster. */
function statefulSetOf(cluster: Cluster, component: ComponentName): Record<string, unknown> {
  const child = desiredChild(cluster, component)!;
  child.metadata = { ...child.metadata, uid: `${component}-uid` };
  const clusterPorts = Object.fromEntries(COMPONENTS.flatMap((c) => (cluster.spec[c] ? [[c, cluster.spec[c].port ?? COMPONENT_TRAITS[c].defaultPort]] : [])));
  const input: WorkloadInput = { child, traits: COMPONENT_TRAITS[component], clusterName: cluster.metadata?.name, image: child.spec.image!, clusterPorts };
  return desiredStatefulSet(input) as Record<string, unknown>;
}

function containerOf(sts: Record<string, unknown>): Container {
  return (sts.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers[0]!;
}

/** argv and environment as the kubelet gives them to the process of pod <sts>-0. */
function launched(sts: Record<string, unknown>): { argv: string[]; env: Record<string, string>; mounts: Array<{ name: string; mountPath: string }> } {
  const name = (sts.metadata as { name: string }).name;
  const container = containerOf(sts);
  const pod = { name: `${name}-0`, namespace: 'default' };
  return { argv: argvOf(container, pod), env: Object.fromEntries(containerEnvironment(container, pod)), mounts: container.volumeMounts ?? [] };
}

/**
 * What zojw/engula-operator (3f61194) writes for its own sample, config/samples/cluster_v1alpha1_cluster.yaml
 * (Cluster cluster-sample: one of each component, default ports, a volume each), read from its source:
 * resource/statefulset.go buildCmd (`/bin/engula`, component, `run`, then the controller's args),
 * buildEnv (POD_NAME, kubecluster = the Cluster's metadata.name through the instance label, the three
 * ports as the v1alpha1 defaults, RUST_BACKTRACE=1), MountPath "/data" (api/v1alpha1/volume_claim.go Apply);
 * the args from controllers/{journal,storage,kernel,engine}_controller.go.
 */
const ORIGINAL_ENV = { POD_NAME: 'cluster-sample-$C-0', kubecluster: 'cluster-sample', journalport: '24570', storageport: '24569', kernelport: '24567', RUST_BACKTRACE: '1' };
const ORIGINAL: Record<ComponentName, { argv: string[]; mountPath: string }> = {
  journal: { argv: ['/bin/engula', 'journal', 'run', '0.0.0.0:24570', '--file', '/data'], mountPath: '/data' },
  storage: { argv: ['/bin/engula', 'storage', 'run', '0.0.0.0:24569', '--file', '/data'], mountPath: '/data' },
  kernel: { argv: ['/bin/engula', 'kernel', 'run', '--journal', '0.0.0.0:9999', '--storage', '0.0.0.0:9999', '0.0.0.0:24567', '--kube', '/data/kernel'], mountPath: '/data' },
  engine: { argv: ['/bin/engula', 'demo-engine', 'run', '0.0.0.0:24568'], mountPath: '/data' },
};

describe("the original operator's sample, side by side with what the original operator writes for it", () => {
  const cluster = sample('cluster-original.yaml');
  for (const c of COMPONENTS) {
    it(`${c}: the same argv, environment and data mount after the kubelet's $(VAR) expansion`, (t) => {
      const sts = statefulSetOf(cluster, c);
      const got = launched(sts);
      const want = ORIGINAL[c];
      t.diagnostic(`operator:  ${got.argv.join(' ')} | ${Object.entries(got.env).map(([k, v]) => `${k}=${v}`).join(' ')} | ${got.mounts.map((m) => m.mountPath).join(',')}`);
      t.diagnostic(`original:  ${want.argv.join(' ')} | ${Object.entries(ORIGINAL_ENV).map(([k, v]) => `${k}=${v.replace('$C', c)}`).join(' ')} | ${want.mountPath}`);
      assert.deepEqual(got.argv, want.argv);
      assert.deepEqual(got.env, Object.fromEntries(Object.entries(ORIGINAL_ENV).map(([k, v]) => [k, v.replace('$C', c)])));
      assert.deepEqual(got.mounts, [{ name: 'data', mountPath: want.mountPath }]);
      assert.deepEqual(checkStatefulSet(sts), { profile: 'v0.2-kube-dns', component: c, argv: want.argv });
    });
  }
});

describe('launch profiles', () => {
  it('the table and the API agree on which components each line runs', () => {
    for (const p of LAUNCH_PROFILES) assert.deepEqual(Object.keys(PROFILES[p].components).sort(), [...LAUNCH_PROFILE_COMPONENTS[p]].sort(), p);
  });

  it('the port variables carry the ports configured, not the defaults (the original operator hard-codes those, a TODO in its source)', () => {
    const cluster = sample('cluster-original.yaml');
    cluster.spec.journal!.port = 25000;
    cluster.spec.storage!.port = 25001;
    cluster.spec.kernel!.port = 25002;
    const kernel = launched(statefulSetOf(cluster, 'kernel'));
    assert.deepEqual([kernel.env.journalport, kernel.env.storageport, kernel.env.kernelport], ['25000', '25001', '25002']);
    assert.equal(kernel.argv[7], '0.0.0.0:25002', 'the kernel listens on its own port');
    assert.equal(launched(statefulSetOf(cluster, 'engine')).env.kernelport, '25002', 'and the engine is told it');
  });

  it('v0.2.0 (engula/engula bin/engula.rs at a9380b5): ADDR before the MODE subcommand, no variables', () => {
    const cluster = sample('cluster-original.yaml');
    cluster.spec.launchProfile = 'v0.2.0';
    delete cluster.spec.kernel;
    delete cluster.spec.engine;
    for (const [c, port] of [['journal', 24570], ['storage', 24569]] as const) {
      const sts = statefulSetOf(cluster, c);
      const got = launched(sts);
      assert.deepEqual(got.argv, ['/bin/engula', c, 'run', `0.0.0.0:${port}`, '--file', '/data']);
      assert.deepEqual(got.env, {}, 'v0.2.0 reads no environment variable');
      assert.deepEqual(checkStatefulSet(sts), { profile: 'v0.2.0', component: c, argv: got.argv });
    }
  });

  it('command and args overrides are passed through as given, each replacing its half, and marked custom', () => {
    const cluster = sample('cluster-original.yaml');
    cluster.spec.storage!.args = ['storage', 'run', '0.0.0.0:$(storageport)', '--mem'];
    const storage = statefulSetOf(cluster, 'storage');
    assert.deepEqual(launched(storage).argv, ['/bin/engula', 'storage', 'run', '0.0.0.0:24569', '--mem']);
    assert.deepEqual(checkStatefulSet(storage), { skipped: 'custom' });
    cluster.spec.engine!.command = ['/usr/local/bin/my-engine'];
    assert.deepEqual(launched(statefulSetOf(cluster, 'engine')).argv, ['/usr/local/bin/my-engine', 'demo-engine', 'run', '0.0.0.0:24568']);
  });
});

describe('admission: a component the line has no binary for is refused with the reason', () => {
  const base = (): Cluster => {
    const c = sample('cluster-original.yaml');
    delete c.status;
    return c;
  };

  it('a Cluster on v0.2.0 with a kernel or an engine', () => {
    const c = base();
    c.spec.launchProfile = 'v0.2.0';
    const issues = validate('Cluster', c);
    const launch = issues.filter((i) => i.field === 'spec.launchProfile');
    assert.equal(launch.length, 2, JSON.stringify(issues));
    assert.match(launch.map((i) => i.message).join('\n'), /launchProfile v0\.2\.0 has no kernel binary \(v0\.2\.0 runs journal and storage\): remove spec\.kernel/);
    assert.match(launch.map((i) => i.message).join('\n'), /no engine binary/);
  });

  it('admitted with journal and storage only, or with command set for the others', () => {
    const c = base();
    c.spec.launchProfile = 'v0.2.0';
    delete c.spec.kernel;
    assert.equal(validate('Cluster', c).filter((i) => i.field === 'spec.launchProfile').length, 1, 'the engine still');
    c.spec.engine!.command = ['/usr/local/bin/my-engine'];
    assert.deepEqual(validate('Cluster', c), []);
  });

  it('a standalone Engine on v0.2.0', () => {
    const engine: ChildObject = { apiVersion: 'cluster.engula.io/v1alpha1', kind: 'Engine', metadata: { name: 'e', namespace: 'default' }, spec: { replicas: 1, launchProfile: 'v0.2.0' } };
    const issues = validate('Engine', engine);
    assert.deepEqual(issues.map((i) => i.field), ['spec.launchProfile']);
    assert.match(issues[0]!.message, /no engine binary.*set spec\.command/);
  });
});
