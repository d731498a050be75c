// Names that two parts of config/default must agree on: RBAC holds the operator's Lease, certificate
// Secret and webhook configurations by resourceNames, so each name there is the one the Deployment's
// flags (or the operator's defaults) give the object; and the deletion-protection policy config/default
// ships covers the DELETE of every Engula kind and nothing else.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GROUP, KINDS } from '../../../api/v1alpha1/kinds.ts';
import { WEBHOOK_DEFAULTS } from '../../../webhooks/index.ts';
import { renderKustomization, type ManifestDoc as Doc, type PolicyRule as Rule } from '../../support/kustomize.ts';

const docs: Doc[] = renderKustomization('config/default');
const one = (kind: string, name: string): Doc => {
  const d = docs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(d, `config/default renders ${kind} ${name}`);
  return d;
};

/** The value of `--name=value` among the manager container's args, if given. */
function flag(name: string): string | undefined {
  const spec = one('Deployment', 'engula-operator').spec as { template: { spec: { containers: Array<{ name: string; args?: string[] }> } } };
  const args = spec.template.spec.containers.find((c) => c.name === 'manager')?.args ?? [];
  return args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

/** The rules of `role` on `group/resource`, split into those held to names and those not. */
function rulesOn(role: Doc, group: string, resource: string): { named: Rule[]; unnamed: Rule[] } {
  const rules = (role.rules ?? []).filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource));
  return { named: rules.filter((r) => r.resourceNames !== undefined), unnamed: rules.filter((r) => r.resourceNames === undefined) };
}

describe('config/default: names RBAC and the flags agree on', () => {
  const leaderRole = one('Role', 'engula-operator-leader-election');
  const clusterRole = one('ClusterRole', 'engula-operator-manager');

  it('the leader election Lease: the Deployment\'s --leader-election-id, by name for all but create', () => {
    const lease = flag('leader-election-id');
    assert.ok(lease, 'the Deployment names its Lease');
    const { named, unnamed } = rulesOn(leaderRole, 'coordination.k8s.io', 'leases');
    assert.deepEqual(named.map((r) => [r.resourceNames, [...r.verbs].sort()]), [[[lease], ['get', 'list', 'update', 'watch']]]);
    // RBAC sees no name on a create: the one verb that cannot be held to it.
    assert.deepEqual(unnamed.map((r) => r.verbs), [['create']]);
  });

  it('the webhook certificate Secret: the operator\'s one name for it, by name for all but create', () => {
    const { named, unnamed } = rulesOn(leaderRole, '', 'secrets');
    assert.deepEqual(named.map((r) => [r.resourceNames, [...r.verbs].sort()]), [[[WEBHOOK_DEFAULTS.certSecret], ['get', 'list', 'patch', 'watch']]]);
    assert.deepEqual(unnamed.map((r) => r.verbs), [['create']]);
    assert.equal(rulesOn(clusterRole, '', 'secrets').named.length + rulesOn(clusterRole, '', 'secrets').unnamed.length, 0, 'no Secret anywhere else');
  });

  it('the webhook configurations: --webhook-configuration-name (or its default) is the name config/webhook gives them and the ClusterRole holds', () => {
    const name = flag('webhook-configuration-name') ?? WEBHOOK_DEFAULTS.configurationName;
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      assert.deepEqual(docs.filter((d) => d.kind === kind).map((d) => d.metadata.name), [name], kind);
      const { named, unnamed } = rulesOn(clusterRole, 'admissionregistration.k8s.io', `${kind.toLowerCase()}s`);
      assert.deepEqual(named.map((r) => r.resourceNames), [[name]], `${kind}: held by name`);
      assert.deepEqual(unnamed, [], `${kind}: no rule without a name`);
    }
  });
});

/** config/policy: applied by make install with the CRDs, so make undeploy (config/default) keeps it. */
const policyDocs: Doc[] = renderKustomization('config/policy');
const policyDoc = (kind: string, name: string): Doc => {
  const d = policyDocs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(d, `config/policy renders ${kind} ${name}`);
  return d;
};

describe('config/policy: the deletion-protection policy', () => {
  it('ships apart from the operator: config/default (what make undeploy deletes) holds none of it', () => {
    assert.deepEqual(docs.filter((d) => d.kind.startsWith('ValidatingAdmissionPolicy')), []);
  });

  it('refuses DELETE of every Engula kind, by a binding that denies, on no other operation or kind', () => {
    const policy = policyDoc('ValidatingAdmissionPolicy', 'engula-deletion-protection').spec as {
      failurePolicy: string;
      matchConstraints: { resourceRules: Array<{ apiGroups: string[]; operations: string[]; resources: string[] }> };
      matchConditions: Array<{ expression: string }>;
      validations: Array<{ expression: string; messageExpression: string }>;
    };
    assert.equal(policy.failurePolicy, 'Fail');
    assert.deepEqual(policy.matchConstraints.resourceRules.map((r) => [r.apiGroups, r.operations, [...r.resources].sort()]), [
      [[GROUP], ['DELETE'], Object.values(KINDS).map((k) => k.plural).sort()],
    ]);
    assert.match(policy.matchConditions.map((c) => c.expression).join(' '), /oldObject\.spec\.deletionProtection == true/);
    // The one caller let through, and only for a child a Cluster controls.
    assert.match(policy.validations[0]!.expression, /owningCluster != '' && variables\.byGarbageCollector/);
    const binding = policyDoc('ValidatingAdmissionPolicyBinding', 'engula-deletion-protection').spec as { policyName: string; validationActions: string[]; matchResources?: unknown };
    assert.deepEqual([binding.policyName, binding.validationActions, binding.matchResources], ['engula-deletion-protection', ['Deny'], undefined]);
  });
});
