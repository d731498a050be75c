// Bad input leaks nothing: a crafted AdmissionReview naming another namespace's Cluster as owner
// learns nothing of that Cluster's spec (and with an owner reference whose uid is empty or wrong,
// not even whether a guess is right); env values are never repeated in a refusal or a log line;
// a body over 1 MiB is a 413 that says why, and the server answers the next request.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { VALIDATE_PATH } from '../../../webhooks/admission/routes.ts';
import { staticObjectReader } from '../../../webhooks/admission/state.ts';
import type { JsonObject } from '../../../webhooks/admission/rules.ts';
import { apiSchemas } from '../../../webhooks/index.ts';
import { buildWebhookServer, DEFAULT_BODY_LIMIT, type WebhookServer } from '../../../webhooks/server.ts';
import { StaticCertificates } from '../../../webhooks/tls/source.ts';
import { admissionReview, childOf, clusterObject, loopbackCertificates, scaleObject } from '../../support/admission.ts';

interface Answer {
  response: { allowed: boolean; status?: { code: number; message: string; details?: { causes: { field: string; message: string }[] } } };
}

/** A Cluster in another namespace, every value of it distinctive, so any echo of it can be found. */
const victim = clusterObject('victim', 'other', {
  image: { name: 'private.registry.example/victim-image:7', pullPolicy: 'Always' },
  imagePullSecrets: [{ name: 'victim-regcred' }],
  journal: {
    replicas: 7,
    port: 31337,
    env: [{ name: 'TOKEN', value: 's3cr3t-victim-token' }, { name: 'EMPTY', value: '' }],
    nodeSelector: { 'victim-zone': 'vault' },
    podAnnotations: { 'victim-note': 'classified' },
  },
});
/** Strings of the victim's spec that no refusal may contain. */
const VICTIM_VALUES = ['private.registry', 'victim-image', 'victim-regcred', '31337', 's3cr3t', 'vault', 'classified', 'Always'];

const logLines: string[] = [];
let app: WebhookServer;

before(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  app = await buildWebhookServer({
    certificates: new StaticCertificates(await loopbackCertificates()),
    logger: pino({ level: 'debug' }, sink),
    admission: { schemas: apiSchemas, reader: staticObjectReader([victim, childOf(victim, 'journal')]), maxReplicas: 10 },
  });
});
after(() => app.close());

async function validate(review: JsonObject): Promise<Answer & { raw: string }> {
  const res = await app.inject({ method: 'POST', url: VALIDATE_PATH, payload: review });
  assert.equal(res.statusCode, 200, res.body);
  return { ...res.json<Answer>(), raw: res.body };
}

function assertNoVictimValue(raw: string): void {
  for (const v of VICTIM_VALUES) assert.ok(!raw.includes(v), `the answer repeats the victim's ${JSON.stringify(v)}: ${raw}`);
}

/**
 * A Journal that claims the victim Cluster as its controller, with values of the sender's choosing,
 * through a reference that carries `uid` (the victim's own by default; '' or a wrong one for a
 * sender who cannot read the Cluster).
 */
function craftedJournal(spec: JsonObject, uid = 'uid-victim'): JsonObject {
  return {
    apiVersion: 'cluster.engula.io/v1alpha1',
    kind: 'Journal',
    metadata: {
      name: 'victim-journal',
      namespace: 'other',
      ownerReferences: [{ apiVersion: 'cluster.engula.io/v1alpha1', kind: 'Cluster', name: 'victim', uid, controller: true }],
    },
    spec: { replicas: 1, clusterName: 'victim', ...spec },
  };
}

/** The answer without the request's own uid, so two answers compare whole. */
function answerBody(a: Answer & { raw: string }): unknown {
  const body = JSON.parse(a.raw) as { response: Record<string, unknown> };
  delete body.response.uid;
  return body;
}

/** For each value the victim's journal has, a right guess (the victim's own) and a wrong one. */
const GUESSES: Array<{ what: string; right: JsonObject; wrong: JsonObject }> = [
  { what: 'image', right: { image: { name: 'private.registry.example/victim-image:7', pullPolicy: 'Always' } }, wrong: { image: { name: 'guess:1', pullPolicy: 'Always' } } },
  { what: 'replicas', right: { replicas: 7 }, wrong: { replicas: 6 } },
  { what: 'port', right: { port: 31337 }, wrong: { port: 31338 } },
  { what: 'env value', right: { env: [{ name: 'TOKEN', value: 's3cr3t-victim-token' }, { name: 'EMPTY', value: '' }] }, wrong: { env: [{ name: 'TOKEN', value: 'guess-token' }, { name: 'EMPTY', value: '' }] } },
  { what: 'pull secrets', right: { imagePullSecrets: [{ name: 'victim-regcred' }] }, wrong: { imagePullSecrets: [{ name: 'guess-regcred' }] } },
];

describe('a crafted review learns nothing of the Cluster it names', () => {
  test('a refusal of owned fields names the field, the rule and the Cluster, never the Cluster\'s values', async () => {
    const guess = craftedJournal({ image: { name: 'guess:1' }, port: 1000, env: [{ name: 'TOKEN', value: 'guess-token' }], nodeSelector: { a: 'b' }, imagePullSecrets: [{ name: 'x' }] });
    const a = await validate(admissionReview({ operation: 'CREATE', resource: 'journals', namespace: 'other', object: guess }));
    assert.equal(a.response.allowed, false);
    const fields = a.response.status!.details!.causes.map((c) => c.field).sort();
    assert.deepEqual(fields, ['spec.deletionProtection', 'spec.env', 'spec.image', 'spec.imagePullSecrets', 'spec.launchProfile', 'spec.nodeSelector', 'spec.podAnnotations', 'spec.port', 'spec.replicas']);
    assert.match(a.response.status!.message, /spec\.port: Forbidden: 1000: Journal victim-journal belongs to Cluster victim, which sets this field; change it on the Cluster instead/);
    // The sender's own env value is not repeated either, and the command to use does not carry it.
    assert.match(a.response.status!.message, /spec\.env: Forbidden: Journal victim-journal belongs to Cluster victim, which sets this field; change spec\.journal\.env on the Cluster instead: kubectl edit cluster victim -n other/);
    assert.ok(!a.raw.includes('guess-token'), a.raw);
    assertNoVictimValue(a.raw);
  });

  for (const [label, uid] of [['an empty uid', ''], ['a wrong uid', '00000000-0000-0000-0000-000000000000']] as const) {
    test(`an owner reference with ${label} counts for nothing: the same answer whether a guess is right or wrong`, async () => {
      for (const { what, right, wrong } of GUESSES) {
        for (const operation of ['CREATE', 'UPDATE'] as const) {
          const review = (spec: JsonObject) => {
            const object = craftedJournal(spec, uid);
            return admissionReview({ operation, resource: 'journals', namespace: 'other', object, ...(operation === 'UPDATE' ? { oldObject: craftedJournal({}, uid) } : {}) });
          };
          const a = await validate(review(right));
          const b = await validate(review(wrong));
          assert.deepEqual(answerBody(a), answerBody(b), `${operation} with a right and a wrong ${what} get different answers:\n${a.raw}\n${b.raw}`);
          // Judged as the standalone Journal it is: nothing the victim Cluster owns is refused.
          assert.equal(a.response.allowed, true, `${operation} ${what}: ${a.raw}`);
          assertNoVictimValue(a.raw);
          assertNoVictimValue(b.raw);
        }
      }
      // The victim's own uid does make it the victim's: the rule under test is the uid, not the name.
      const owned = await validate(admissionReview({ operation: 'CREATE', resource: 'journals', namespace: 'other', object: craftedJournal(GUESSES[2]!.wrong) }));
      assert.equal(owned.response.allowed, false, owned.raw);
    });
  }

  test('a crafted kubectl scale learns neither the Cluster\'s replicas nor the stored child\'s', async () => {
    const a = await validate(admissionReview({ operation: 'UPDATE', resource: 'journals', subResource: 'scale', name: 'victim-journal', namespace: 'other', object: scaleObject('victim-journal', 'other', 2), oldObject: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'victim-journal', namespace: 'other' }, spec: {} } }));
    assert.equal(a.response.allowed, false);
    assert.match(a.response.status!.message, /belongs to Cluster victim/);
    assert.ok(!/\b7\b/.test(a.response.status!.message), a.response.status!.message);
    assertNoVictimValue(a.raw);
  });
});

describe('env values are never repeated', () => {
  test('a schema refusal inside env names the field without its value; other fields keep theirs', async () => {
    const bad = clusterObject('mine', 'ns', { engine: { replicas: 11, env: [{ name: 'TOKEN', value: { s3cr3t: 'nested-secret' } }] } });
    const a = await validate(admissionReview({ resource: 'clusters', object: bad }));
    assert.equal(a.response.allowed, false);
    assert.match(a.response.status!.message, /spec\.engine\.env\[0\]\.value: Invalid value: must be of type string/);
    assert.match(a.response.status!.message, /spec\.engine\.replicas: Invalid value: 11/);
    assert.ok(!a.raw.includes('nested-secret') && !a.raw.includes('s3cr3t'), a.raw);
  });

  test('no log line of the webhook carries an env value', async () => {
    const owned = childOf(victim, 'journal');
    const edited = structuredClone(owned);
    (edited.spec as JsonObject).env = [{ name: 'TOKEN', value: 's3cr3t-edited' }];
    const a = await validate(admissionReview({ operation: 'UPDATE', resource: 'journals', namespace: 'other', object: edited, oldObject: owned }));
    assert.equal(a.response.allowed, false);
    const log = logLines.join('');
    assert.match(log, /"msg":"refused"/, 'refusals are logged');
    assert.ok(!log.includes('s3cr3t') && !log.includes('nested-secret'), `a log line carries an env value:\n${log}`);
  });
});

describe('request bodies', () => {
  test(`over ${DEFAULT_BODY_LIMIT} bytes (1 MiB) get a 413 that says why, and the server answers the next one`, async () => {
    assert.equal(DEFAULT_BODY_LIMIT, 1024 * 1024);
    const big = JSON.stringify(admissionReview({ resource: 'clusters', object: clusterObject('big', 'ns', { pad: 'x'.repeat(DEFAULT_BODY_LIMIT) }) }));
    const res = await app.inject({ method: 'POST', url: VALIDATE_PATH, headers: { 'content-type': 'application/json' }, payload: big });
    assert.equal(res.statusCode, 413);
    assert.match(res.json<{ message: string }>().message, /larger than this webhook accepts \(1048576 bytes\)/);
    // Just under the limit is parsed and judged.
    const fits = clusterObject('fits', 'ns');
    (fits.metadata as JsonObject).annotations = { note: 'x'.repeat(DEFAULT_BODY_LIMIT - 4096) };
    const ok = await validate(admissionReview({ resource: 'clusters', object: fits }));
    assert.equal(ok.response.allowed, true, ok.response.status?.message);
  });
});
