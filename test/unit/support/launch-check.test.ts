import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMPONENTS, LAUNCH_PROFILES, type ComponentName, type LaunchProfileName } from '../../../api/v1alpha1/index.ts';
import { CUSTOM_LAUNCH, LAUNCH_PROFILE_ANNOTATION, PROFILES } from '../../../controllers/launch-profiles.ts';
import { parseKubeDns, parseV020 } from '../../support/launch-check/grammars.ts';
import { argvOf, containerEnvironment, expand, expandKubelet, mappingFuncFor, type EnvVarLike } from '../../support/launch-check/kubelet-expand.ts';
import { LaunchRefused } from '../../support/launch-check/refused.ts';
import { parseSocketAddr } from '../../support/launch-check/socket-addr.ts';
import { checkStatefulSet } from '../../support/launch-check/statefulset.ts';

const words = (s: string): string[] => s.split(' ');

/** Asserts a LaunchRefused whose message names `argument`. */
function refuses(fn: () => unknown, argument: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof LaunchRefused, `not a LaunchRefused: ${String(err)}`);
    assert.ok(err.message.includes(argument), `'${err.message}' does not name ${argument}`);
    return true;
  });
}

describe('launch check: the kubelet $(VAR) expansion', () => {
  // k8s.io/kubernetes v1.36.3 third_party/forked/golang/expansion/expand_test.go, doExpansionTest:
  // the whole table, against the contexts of TestMapping and of TestMappingDual.
  const cases: Array<[name: string, input: string, expected: string]> = [
    ['whole string', '$(VAR_A)', 'A'],
    ['repeat', '$(VAR_A)-$(VAR_A)', 'A-A'],
    ['beginning', '$(VAR_A)-1', 'A-1'],
    ['middle', '___$(VAR_B)___', '___B___'],
    ['end', '___$(VAR_C)', '___C'],
    ['compound', '$(VAR_A)_$(VAR_B)_$(VAR_C)', 'A_B_C'],
    ['escape & expand', '$$(VAR_B)_$(VAR_A)', '$(VAR_B)_A'],
    ['compound escape', '$$(VAR_A)_$$(VAR_B)', '$(VAR_A)_$(VAR_B)'],
    ['mixed in escapes', 'f000-$$VAR_A', 'f000-$VAR_A'],
    ['backslash escape ignored', 'foo\\$(VAR_C)bar', 'foo\\Cbar'],
    ['backslash escape ignored', 'foo\\\\$(VAR_C)bar', 'foo\\\\Cbar'],
    ['lots of backslashes', 'foo\\\\\\\\$(VAR_A)bar', 'foo\\\\\\\\Abar'],
    ['nested var references', '$(VAR_A$(VAR_B))', '$(VAR_A$(VAR_B))'],
    ['nested var references second type', '$(VAR_A$(VAR_B)', '$(VAR_A$(VAR_B)'],
    ['value is a reference', '$(VAR_REF)', '$(VAR_A)'],
    ['value is a reference x 2', '%%$(VAR_REF)--$(VAR_REF)%%', '%%$(VAR_A)--$(VAR_A)%%'],
    ['empty var', 'foo$(VAR_EMPTY)bar', 'foobar'],
    ['unterminated expression', 'foo$(VAR_Awhoops!', 'foo$(VAR_Awhoops!'],
    ['expression without operator', 'f00__(VAR_A)__', 'f00__(VAR_A)__'],
    ['shell special vars pass through', '$?_boo_$!', '$?_boo_$!'],
    ['bare operators are ignored', '$VAR_A', '$VAR_A'],
    ['undefined vars are passed through', '$(VAR_DNE)', '$(VAR_DNE)'],
    ['multiple (even) operators, var undefined', '$$$$$$(BIG_MONEY)', '$$$(BIG_MONEY)'],
    ['multiple (even) operators, var defined', '$$$$$$(VAR_A)', '$$$(VAR_A)'],
    ['multiple (odd) operators, var undefined', '$$$$$$$(GOOD_ODDS)', '$$$$(GOOD_ODDS)'],
    ['multiple (odd) operators, var defined', '$$$$$$$(VAR_A)', '$$$A'],
    ['missing open expression', '$VAR_A)', '$VAR_A)'],
    ['shell syntax ignored', '${VAR_A}', '${VAR_A}'],
    ['trailing incomplete expression not consumed', '$(VAR_B)_______$(A', 'B_______$(A'],
    ['trailing incomplete expression, no content, is not consumed', '$(VAR_C)_______$(', 'C_______$('],
    ['operator at end of input string is preserved', '$(VAR_A)foobarzab$', 'Afoobarzab$'],
    ['shell escaped incomplete expr', 'foo-\\$(VAR_A', 'foo-\\$(VAR_A'],
    ['lots of $( in middle', '--$($($($($--', '--$($($($($--'],
    ['lots of $( in beginning', '$($($($($--foo$(', '$($($($($--foo$('],
    ['lots of $( at end', 'foo0--$($($($(', 'foo0--$($($($('],
    ['escaped operators in variable names are not escaped', '$(foo$$var)', '$(foo$$var)'],
    ['newline not expanded', '\n', '\n'],
    ['dollar sign followed by non-ASCII UTF-8 character', '$£FOO', '$£FOO'],
    ['dollar sign followed by multi-byte UTF-8 character in middle', 'prefix-$€-suffix', 'prefix-$€-suffix'],
    ['dollar sign followed by Chinese character', '$中文', '$中文'],
  ];
  const single = new Map(Object.entries({ VAR_A: 'A', VAR_B: 'B', VAR_C: 'C', VAR_REF: '$(VAR_A)', VAR_EMPTY: '' }));
  const dual = [new Map(Object.entries({ VAR_A: 'A', VAR_EMPTY: '' })), new Map(Object.entries({ VAR_B: 'B', VAR_C: 'C', VAR_REF: '$(VAR_A)' }))];

  it('expands as expand_test.go TestMapping expects (one context)', () => {
    for (const [name, input, expected] of cases) assert.equal(expandKubelet(input, single), expected, name);
  });

  it('expands as expand_test.go TestMappingDual expects (two contexts, first wins)', () => {
    const mapping = mappingFuncFor(...dual);
    for (const [name, input, expected] of cases) assert.equal(expand(input, mapping), expected, name);
  });

  it('resolves env values against the variables before them (TestMapReference, kubelet_pods.go order)', () => {
    const env = containerEnvironment({ env: [{ name: 'FOO', value: 'bar' }, { name: 'ZOO', value: '$(FOO)-1' }, { name: 'BLU', value: '$(ZOO)-2' }] }, { name: 'p', namespace: 'n' });
    assert.deepEqual(Object.fromEntries(env), { FOO: 'bar', ZOO: 'bar-1', BLU: 'bar-1-2' });
    // A variable declared later is not defined yet: the reference stays literal.
    const later = containerEnvironment({ env: [{ name: 'A', value: '$(B)x' }, { name: 'B', value: 'b' }] }, { name: 'p', namespace: 'n' });
    assert.equal(later.get('A'), '$(B)x');
  });

  it('takes the pod name and namespace from fieldRef and stands in for sources it cannot know', () => {
    const env = containerEnvironment(
      {
        env: [
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'NS', value: '', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'PASS', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
          { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
          { name: 'EMPTY' },
          { name: 'POD_NAME', value: 'again-$(POD_NAME)' },
        ],
      },
      { name: 'c-journal-0', namespace: 'team' },
    );
    assert.equal(env.get('NS'), 'team');
    assert.equal(env.get('NODE'), '<fieldRef:spec.nodeName>');
    assert.equal(env.get('PASS'), '<secretKeyRef:s/k>');
    assert.equal(env.get('CPU'), '<resourceFieldRef:limits.cpu>');
    assert.equal(env.get('EMPTY'), '');
    // A repeated name is overwritten, expanded against its own earlier value.
    assert.equal(env.get('POD_NAME'), 'again-c-journal-0');
  });

  it('builds argv from command then args, each expanded', () => {
    const argv = argvOf(
      { command: ['/bin/engula'], args: ['journal', 'run', '0.0.0.0:$(PORT)', '--file', '/data/$(POD_NAME)', '$$(PORT)', '$(NOPE)'], env: [{ name: 'PORT', value: '24570' }, { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] },
      { name: 'j-0', namespace: 'n' },
    );
    assert.deepEqual(argv, ['/bin/engula', 'journal', 'run', '0.0.0.0:24570', '--file', '/data/j-0', '$(PORT)', '$(NOPE)']);
  });
});

describe('launch check: Rust SocketAddr', () => {
  it('takes IP literals with a port', () => {
    assert.deepEqual(parseSocketAddr('0.0.0.0:24570'), { family: 4, ip: '0.0.0.0', port: 24570, unspecified: true });
    assert.equal(parseSocketAddr('10.1.2.3:0')?.unspecified, false);
    assert.equal(parseSocketAddr('127.0.0.1:0080')?.port, 80, 'a port may have leading zeros');
    assert.deepEqual(parseSocketAddr('[::]:1'), { family: 6, ip: '::', port: 1, unspecified: true });
    assert.equal(parseSocketAddr('[fe80::1%2]:65535')?.ip, 'fe80::1');
    assert.equal(parseSocketAddr('[::ffff:10.0.0.1]:9')?.family, 6);
    assert.equal(parseSocketAddr('[1:2:3:4:5:6:7:8]:9')?.unspecified, false);
  });

  it('refuses names, missing or out-of-range ports, octal-looking octets', () => {
    for (const bad of ['localhost:80', 'c-journal.default.svc:24570', '1.2.3.4', '1.2.3.4:', '1.2.3.4:65536', '01.2.3.4:1', '1.2.3.256:1', '::1:80', '[::1]', '[::1]:80x', '[1:2:3:4:5:6:7:8:9]:1', '[10.0.0.1::]:1', ' 1.2.3.4:1', '']) {
      assert.equal(parseSocketAddr(bad), undefined, bad);
    }
  });
});

describe('launch check: the v0.2-kube-dns grammar', () => {
  it("accepts the original operator's argv for each component (zojw/engula-operator controllers/*_controller.go)", () => {
    const journal = parseKubeDns(words('/bin/engula journal run 0.0.0.0:24570 --file /data'));
    assert.equal(journal.component, 'journal');
    assert.equal(journal.listen.port, 24570);
    assert.equal(journal.mode, 'file');
    assert.equal(journal.path, '/data');
    assert.equal(parseKubeDns(words('/bin/engula storage run 0.0.0.0:24569 --file /data')).component, 'storage');
    const kernel = parseKubeDns(words('/bin/engula kernel run --journal 0.0.0.0:9999 --storage 0.0.0.0:9999 0.0.0.0:24567 --kube /data/kernel'));
    assert.deepEqual([kernel.component, kernel.mode, kernel.path, kernel.listen.port], ['kernel', 'kube', '/data/kernel', 24567]);
    assert.deepEqual(kernel.options, { journal: '0.0.0.0:9999', storage: '0.0.0.0:9999' });
    const engine = parseKubeDns(words('/bin/engula demo-engine run 0.0.0.0:24568'));
    assert.deepEqual([engine.component, engine.mode, engine.path], ['demo-engine', undefined, undefined]);
  });

  it('accepts what clap accepts: --opt=value, options after ADDR, --mem, --segment-size', () => {
    assert.equal(parseKubeDns(words('/bin/engula kernel run 0.0.0.0:1 --storage=0.0.0.0:9 --journal=0.0.0.0:9 --mem')).mode, 'mem');
    assert.deepEqual(parseKubeDns(words('/bin/engula journal run --segment-size=+1024 0.0.0.0:1 --mem')).options, { 'segment-size': '+1024' });
  });

  it("refuses the old operator's flags, unknown arguments and misplaced ones", () => {
    refuses(() => parseKubeDns(words('/bin/engula journal run 0.0.0.0:24570 --metrics-addr=0.0.0.0:9090 --file /data')), "'--metrics-addr'");
    refuses(() => parseKubeDns(words('/bin/engula journal --addr=0.0.0.0:24570 --metrics-addr=0.0.0.0:9090 --data-dir=/data')), "'--addr'");
    refuses(() => parseKubeDns(words('engula journal --addr=0.0.0.0:24570 --metrics-addr=0.0.0.0:9090')), "'engula'");
    // Everything after MODE belongs to it.
    refuses(() => parseKubeDns(words('/bin/engula journal run 0.0.0.0:1 --file /data --segment-size 5')), "'--segment-size'");
    refuses(() => parseKubeDns(words('/bin/engula storage run 0.0.0.0:1 --mem extra')), "'extra'");
    refuses(() => parseKubeDns(words('/bin/engula kernel run 0.0.0.0:1 --kube /data/kernel --journal 0.0.0.0:9')), "'--journal'");
    // `--file` is a subcommand name, not an option: `--file=PATH` is an unknown long argument.
    refuses(() => parseKubeDns(words('/bin/engula journal run 0.0.0.0:1 --file=/data')), "'--file'");
    refuses(() => parseKubeDns(words('/bin/engula demo-engine run 0.0.0.0:1 --mem')), "'--mem'");
    refuses(() => parseKubeDns(words('/bin/engula engine run 0.0.0.0:1')), "'engine'");
    refuses(() => parseKubeDns(words('/bin/engula journal run 0.0.0.0:1 --file /data --help')), "'--help'");
  });

  it('refuses missing required arguments, repeated options, and bad values', () => {
    refuses(() => parseKubeDns(words('/bin/engula kernel run --storage 0.0.0.0:9999 0.0.0.0:24567 --kube /data/kernel')), '--journal <JOURNAL>');
    refuses(() => parseKubeDns(words('/bin/engula journal run 0.0.0.0:1')), "'--mem', '--file'");
    refuses(() => parseKubeDns(words('/bin/engula journal run --file /data')), '<ADDR>');
    refuses(() => parseKubeDns(words('/bin/engula journal run 0.0.0.0:1 --file')), '<PATH>');
    refuses(() => parseKubeDns(words('/bin/engula kernel run --journal 0.0.0.0:9 --journal 0.0.0.0:9 --storage 0.0.0.0:9 0.0.0.0:1 --mem')), 'more than once');
    // An option waiting for its value is passed over by the next option.
    refuses(() => parseKubeDns(words('/bin/engula kernel run --journal --storage 0.0.0.0:9 0.0.0.0:1 --mem')), "'--journal <JOURNAL>' requires a value");
    // A subcommand is missing before anything else is validated.
    refuses(() => parseKubeDns(words('/bin/engula kernel run --storage 0.0.0.0:9 0.0.0.0:1 --journal')), 'requires a subcommand');
    refuses(() => parseKubeDns(words('/bin/engula journal run 0.0.0.0:1 --segment-size -1 --mem')), "'-1'");
    refuses(() => parseKubeDns(words('/bin/engula journal run 0.0.0.0:1 --segment-size=1k --mem')), 'invalid digit');
    refuses(() => parseKubeDns(words('/bin/engula journal run 0.0.0.0:99999 --mem')), '0.0.0.0:99999');
    refuses(() => parseKubeDns(words('/bin/engula storage run 0.0.0.0:1 -- --mem')), "'--mem'");
  });
});

describe('launch check: the v0.2.0 grammar (engula/engula bin/engula.rs)', () => {
  it('accepts journal and storage as the profile runs them, and the kernel with IP literals', () => {
    assert.equal(parseV020(words('/bin/engula journal run 0.0.0.0:24570 --file /data')).path, '/data');
    assert.equal(parseV020(words('/bin/engula storage run [::]:24569 --mem')).listen.family, 6);
    const kernel = parseV020(words('/bin/engula kernel run 0.0.0.0:24567 --journal 10.0.0.1:24570 --storage=10.0.0.2:24569 --file /data/manifest'));
    assert.deepEqual(kernel.options, { journal: '10.0.0.1:24570', storage: '10.0.0.2:24569' });
  });

  it('refuses DNS names, the fork-only parts, and a missing --journal', () => {
    refuses(() => parseV020(words('/bin/engula journal run c-journal.default.svc:24570 --file /data')), 'c-journal.default.svc:24570');
    refuses(() => parseV020(words('/bin/engula kernel run 0.0.0.0:1 --journal c-journal:24570 --storage 10.0.0.2:1 --mem')), '--journal <JOURNAL>');
    refuses(() => parseV020(words('/bin/engula kernel run 0.0.0.0:1 --storage 10.0.0.2:1 --mem')), '--journal <JOURNAL>');
    refuses(() => parseV020(words('/bin/engula kernel run --journal 0.0.0.0:9999 --storage 0.0.0.0:9999 0.0.0.0:24567 --kube /data/kernel')), "'--kube'");
    refuses(() => parseV020(words('/bin/engula engine run 0.0.0.0:24568')), "'engine'");
    refuses(() => parseV020(words('/bin/engula demo-engine run 0.0.0.0:24568')), "'demo-engine'");
    refuses(() => parseV020(words('/bin/engula --version')), "'--version'");
  });
});

interface TestContainer {
  name: string;
  command: string[];
  args: string[];
  ports: Array<{ name: string; containerPort: number; protocol?: string }>;
  env: EnvVarLike[];
  volumeMounts: Array<{ name: string; mountPath: string }>;
}

interface TestStatefulSet {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: {
    template: { spec: { containers: [TestContainer]; volumes?: Array<Record<string, unknown>> } };
    volumeClaimTemplates?: Array<{ metadata: { name: string }; spec: Record<string, unknown> }>;
  };
}

/** A StatefulSet as the operator writes one for `component` on `profile` (controllers/desired/workload.ts, from PROFILES). */
function operatorStatefulSet(profile: LaunchProfileName, component: ComponentName, port = 24570): TestStatefulSet {
  const launch = PROFILES[profile].components[component];
  if (!launch) throw new Error(`${profile} has no ${component}`);
  const fill = (a: string): string => a.replaceAll('{port}', String(port)).replaceAll('{data}', launch.dataPath);
  const env = launch.env.map((e): EnvVarLike => {
    if ('fieldPath' in e) return { name: e.name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: e.fieldPath } } };
    if ('portOf' in e) return { name: e.name, value: '24570' };
    if ('clusterName' in e) return { name: e.name, value: 'c' };
    return { name: e.name, value: e.value };
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {
      name: `c-${component}`,
      namespace: 'team',
      labels: { 'app.kubernetes.io/component': component, 'app.kubernetes.io/managed-by': 'engula-operator' },
      annotations: { [LAUNCH_PROFILE_ANNOTATION]: profile },
    },
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: component,
              command: [...launch.command],
              args: launch.args.map(fill),
              ports: [{ name: 'service', containerPort: port, protocol: 'TCP' }],
              env,
              volumeMounts: [{ name: 'data', mountPath: launch.dataPath }],
            },
          ],
        },
      },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }],
    },
  };
}

describe('launch check: checkStatefulSet', () => {
  it("passes every component of every line as the operator's profile table starts it", () => {
    let checked = 0;
    for (const profile of LAUNCH_PROFILES) {
      for (const component of COMPONENTS.filter((c) => PROFILES[profile].components[c])) {
        const result = checkStatefulSet(operatorStatefulSet(profile, component));
        assert.ok('argv' in result, `${profile} ${component}`);
        assert.equal(result.argv[0], '/bin/engula');
        checked++;
      }
    }
    assert.equal(checked, 6, 'four components on the fork, two on v0.2.0');
    const engine = checkStatefulSet(operatorStatefulSet('v0.2-kube-dns', 'engine', 24568));
    assert.ok('argv' in engine);
    assert.deepEqual(engine.argv, words('/bin/engula demo-engine run 0.0.0.0:24568'));
  });

  it('expands $(VAR) in args against the container env before parsing', () => {
    const sts = operatorStatefulSet('v0.2-kube-dns', 'journal');
    sts.spec.template.spec.containers[0].args = ['journal', 'run', '0.0.0.0:$(journalport)', '--file', '/data/$(POD_NAME)'];
    const result = checkStatefulSet(sts);
    assert.ok('argv' in result);
    assert.deepEqual(result.argv.slice(3), ['0.0.0.0:24570', '--file', '/data/c-journal-0']);
  });

  it('skips custom launches and StatefulSets that are not the operator’s', () => {
    const custom = operatorStatefulSet('v0.2.0', 'journal');
    custom.metadata.annotations[LAUNCH_PROFILE_ANNOTATION] = CUSTOM_LAUNCH;
    custom.spec.template.spec.containers[0].command = ['/bin/sh', '-c', 'anything'];
    assert.deepEqual(checkStatefulSet(custom), { skipped: 'custom' });
    const other = { metadata: { name: 'web', namespace: 'x', labels: { app: 'web' } }, spec: { template: { spec: { containers: [] } } } };
    assert.deepEqual(checkStatefulSet(other), { skipped: 'not-engula' });
    const unannotated = operatorStatefulSet('v0.2.0', 'journal');
    delete unannotated.metadata.annotations[LAUNCH_PROFILE_ANNOTATION];
    refuses(() => checkStatefulSet(unannotated), 'team/c-journal: no cluster.engula.io/launch-profile annotation');
  });

  it('refuses an unresolved $(VAR): the binary would get it literally', () => {
    const sts = operatorStatefulSet('v0.2-kube-dns', 'storage');
    sts.spec.template.spec.containers[0].args = ['storage', 'run', '0.0.0.0:$(STORAGE_PORT)', '--file', '/data'];
    refuses(() => checkStatefulSet(sts), 'team/c-storage: $(STORAGE_PORT)');
  });

  it('refuses a --file path on no mount, and a mount whose volume does not exist', () => {
    const sts = operatorStatefulSet('v0.2.0', 'journal');
    sts.spec.template.spec.containers[0].args = ['journal', 'run', '0.0.0.0:24570', '--file', '/var/lib/engula'];
    refuses(() => checkStatefulSet(sts), "team/c-journal: data path '/var/lib/engula' is on no volume mount");
    const datadir = operatorStatefulSet('v0.2.0', 'journal');
    datadir.spec.template.spec.containers[0].args = ['journal', 'run', '0.0.0.0:24570', '--file', '/database'];
    refuses(() => checkStatefulSet(datadir), "'/database' is on no volume mount");
    const noVolume = operatorStatefulSet('v0.2-kube-dns', 'kernel');
    delete noVolume.spec.volumeClaimTemplates;
    refuses(() => checkStatefulSet(noVolume), "mount 'data'");
    const emptyDir = operatorStatefulSet('v0.2-kube-dns', 'kernel');
    delete emptyDir.spec.volumeClaimTemplates;
    emptyDir.spec.template.spec.volumes = [{ name: 'data', emptyDir: {} }];
    assert.ok('argv' in checkStatefulSet(emptyDir));
  });

  it('refuses a listen port other than the service port', () => {
    const sts = operatorStatefulSet('v0.2-kube-dns', 'journal');
    sts.spec.template.spec.containers[0].ports = [{ name: 'service', containerPort: 24571 }];
    refuses(() => checkStatefulSet(sts), 'team/c-journal: the server listens on port 24570');
  });

  it('refuses what the grammar refuses, the wrong subcommand, a component the line lacks, a missing variable', () => {
    const old = operatorStatefulSet('v0.2-kube-dns', 'journal');
    old.spec.template.spec.containers[0].command = ['engula', 'journal'];
    old.spec.template.spec.containers[0].args = ['--addr=0.0.0.0:24570', '--metrics-addr=0.0.0.0:9090'];
    refuses(() => checkStatefulSet(old), "team/c-journal: argv[0] is 'engula'");
    const swapped = operatorStatefulSet('v0.2-kube-dns', 'journal');
    swapped.spec.template.spec.containers[0].args = ['storage', 'run', '0.0.0.0:24570', '--file', '/data'];
    refuses(() => checkStatefulSet(swapped), "runs 'engula storage'");
    const kernel = operatorStatefulSet('v0.2-kube-dns', 'kernel');
    kernel.metadata.annotations[LAUNCH_PROFILE_ANNOTATION] = 'v0.2.0';
    refuses(() => checkStatefulSet(kernel), 'the v0.2.0 line has no kernel binary');
    const noCluster = operatorStatefulSet('v0.2-kube-dns', 'kernel');
    noCluster.spec.template.spec.containers[0].env = noCluster.spec.template.spec.containers[0].env.filter((e) => e.name !== 'kubecluster');
    refuses(() => checkStatefulSet(noCluster), 'env kubecluster is missing');
    const loopback = operatorStatefulSet('v0.2.0', 'storage');
    loopback.spec.template.spec.containers[0].args = ['storage', 'run', '127.0.0.1:24570', '--file', '/data'];
    refuses(() => checkStatefulSet(loopback), 'listens on 127.0.0.1 only');
  });
});
