import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiServerArgs, etcdArgs, kwokArgs, type Layout } from '../../../testenv/components.ts';
import { randomSerial } from '../../../testenv/pki.ts';
import { volumeFor } from '../../../testenv/provisioner.ts';
import { serialNumber } from '../../../webhooks/tls/authority.ts';

const layout: Layout = { dir: '/tmp/x', ports: { etcdClient: 1, etcdPeer: 2, apiServer: 3, controllerManager: 4, scheduler: 5 } };

test('every component listens on loopback only', () => {
  // The issuer is a name in tokens, never dialled.
  for (const arg of [...etcdArgs(layout), ...apiServerArgs(layout, 'full')].filter((a) => !a.startsWith('--service-account-issuer'))) {
    const url = /https?:\/\/([^:/]+)/.exec(arg);
    if (url) assert.equal(url[1], '127.0.0.1', arg);
  }
  assert.ok(apiServerArgs(layout, 'full').includes('--bind-address=127.0.0.1'));
});

test('the apiserver-only mode turns off ServiceAccount admission, since no controller-manager makes default accounts', () => {
  assert.ok(apiServerArgs(layout, 'apiserver').includes('--disable-admission-plugins=ServiceAccount'));
  assert.ok(!apiServerArgs(layout, 'full').some((a) => a.startsWith('--disable-admission-plugins')));
});

test('kwok keeps node leases, or the node-lifecycle controller would mark its nodes NotReady', () => {
  assert.ok(kwokArgs(layout, ['/s.yaml']).includes('--node-lease-duration-seconds=40'));
});

test('kwok loads every stages file it is given: the shipped ones and testenv\'s own', () => {
  const args = kwokArgs(layout, ['/shipped.yaml', '/testenv.yaml']);
  assert.deepEqual(args.filter((a) => a.startsWith('--config=')), ['--config=/shipped.yaml', '--config=/testenv.yaml']);
});

test('the provisioner pre-binds a volume of the requested size to the claim', () => {
  const pv = volumeFor({
    metadata: { name: 'data-web-0', namespace: 'ns', uid: 'u1' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } },
  });
  assert.equal(pv.metadata?.name, 'pvc-u1');
  assert.deepEqual(pv.spec?.claimRef, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'ns', name: 'data-web-0', uid: 'u1' });
  assert.equal(pv.spec?.capacity?.storage, '5Gi');
  assert.equal(pv.spec?.storageClassName, 'standard');
});

test('certificate serials are positive and DER-minimal, which OpenSSL insists on', () => {
  for (const serial of [...Array.from({ length: 5_000 }, randomSerial), ...Array.from({ length: 5_000 }, serialNumber)]) {
    const first = parseInt(serial.slice(0, 2), 16);
    assert.ok(serial.length === 32 && first >= 0x40 && first <= 0x7f, serial);
  }
});
