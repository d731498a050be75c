// A dynamic volume provisioner for the local control plane: kwok pods mount nothing, so a
// PersistentVolume only has to exist and be bound. For each pending claim of the testenv
// StorageClass it creates a hostPath volume pre-bound to the claim (as an external provisioner
// does), and deletes released volumes it made. Runs as its own process beside kwok.
import * as k8s from '@kubernetes/client-node';
import { pino } from 'pino';
import { PROVISIONER, STORAGE_CLASS } from './cluster-objects.ts';

const PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';

export function volumeFor(claim: k8s.V1PersistentVolumeClaim): k8s.V1PersistentVolume {
  const uid = claim.metadata?.uid ?? '';
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: `pvc-${uid}`, annotations: { [PROVISIONED_BY]: PROVISIONER } },
    spec: {
      capacity: { storage: claim.spec?.resources?.requests?.storage ?? '1Gi' },
      accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'],
      storageClassName: STORAGE_CLASS,
      persistentVolumeReclaimPolicy: 'Delete',
      volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
      hostPath: { path: `/tmp/engula-testenv-volumes/${uid}`, type: 'DirectoryOrCreate' },
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: claim.metadata?.namespace, name: claim.metadata?.name, uid },
    },
  };
}

function wantsVolume(claim: k8s.V1PersistentVolumeClaim): boolean {
  return (
    claim.status?.phase === 'Pending' &&
    !claim.spec?.volumeName &&
    !claim.metadata?.deletionTimestamp &&
    (claim.spec?.storageClassName ?? STORAGE_CLASS) === STORAGE_CLASS
  );
}

function statusCode(err: unknown): number | undefined {
  return err instanceof k8s.ApiException ? err.code : undefined;
}

async function syncOnce(core: k8s.CoreV1Api, log: pino.Logger): Promise<void> {
  const claims = await core.listPersistentVolumeClaimForAllNamespaces();
  for (const claim of claims.items.filter(wantsVolume)) {
    try {
      await core.createPersistentVolume({ body: volumeFor(claim) });
      log.info({ claim: `${claim.metadata?.namespace}/${claim.metadata?.name}` }, 'provisioned volume');
    } catch (err) {
      if (statusCode(err) !== 409) throw err;
    }
  }
  const volumes = await core.listPersistentVolume();
  for (const pv of volumes.items) {
    if (pv.metadata?.annotations?.[PROVISIONED_BY] !== PROVISIONER || pv.status?.phase !== 'Released') continue;
    if (pv.spec?.persistentVolumeReclaimPolicy !== 'Delete') continue;
    try {
      await core.deletePersistentVolume({ name: pv.metadata.name ?? '' });
      log.info({ volume: pv.metadata.name }, 'deleted released volume');
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
  }
}

export async function runProvisioner(kubeconfigPath: string, signal: AbortSignal): Promise<void> {
  const log = pino({ name: 'testenv-provisioner' });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  let failures = 0;
  while (!signal.aborted) {
    try {
      await syncOnce(core, log);
      failures = 0;
    } catch (err) {
      failures++;
      log.warn({ err: (err as Error).message, failures }, 'provisioner sync failed; retrying');
    }
    // A poll, not a watch: a test fixture that must never get stuck matters more here than a few
    // extra list requests; the backoff keeps a down apiserver from being hammered.
    const waitMs = Math.min(500 * 2 ** failures, 10_000);
    await new Promise((r) => setTimeout(r, waitMs));
  }
}

if (import.meta.main) {
  const kubeconfig = process.argv[2];
  if (!kubeconfig) {
    console.error('usage: provisioner.ts <kubeconfig>');
    process.exit(2);
  }
  const ac = new AbortController();
  process.on('SIGTERM', () => ac.abort());
  process.on('SIGINT', () => ac.abort());
  await runProvisioner(kubeconfig, ac.signal);
}
