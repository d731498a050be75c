// Fixtures for webhook tests and the admission benchmark: Engula objects, AdmissionReview
// envelopes, and an in-memory CA with a serving certificate for 127.0.0.1.
import { randomUUID } from 'node:crypto';
import { pino, type Logger } from 'pino';
import type { Cluster } from '../../api/v1alpha1/index.ts';
import { API_VERSION, type ChildKindName, type ComponentName } from '../../api/v1alpha1/kinds.ts';
import { desiredChild } from '../../controllers/desired/child.ts';
import type { JsonObject } from '../../webhooks/admission/rules.ts';
import { createCertificateAuthority, issueServingCertificate } from '../../webhooks/tls/authority.ts';
import type { ServingMaterial } from '../../webhooks/tls/source.ts';

export function clusterObject(name = 'demo', namespace = 'ns', spec: JsonObject = {}): JsonObject {
  return {
    apiVersion: API_VERSION,
    kind: 'Cluster',
    metadata: { name, namespace, uid: `uid-${name}` },
    spec: {
      name,
      image: { name: 'uhub.service.ucloud.cn/zojw/engula:0.9' },
      journal: { replicas: 3 },
      storage: { replicas: 3 },
      kernel: { replicas: 1 },
      engine: { replicas: 2 },
      ...spec,
    },
  };
}

/** The child the ClusterController writes for `component` of `cluster` (its own builder). */
export function childOf(cluster: JsonObject, component: ComponentName): JsonObject {
  const child = desiredChild(cluster as unknown as Cluster, component);
  if (child === undefined) throw new Error(`the Cluster has no ${component}`);
  return child as unknown as JsonObject;
}

export function standaloneChild(kind: ChildKindName, name = 'solo', namespace = 'ns', spec: JsonObject = {}): JsonObject {
  return { apiVersion: API_VERSION, kind, metadata: { name, namespace }, spec: { replicas: 1, clusterName: 'solo', ...spec } };
}

export interface ReviewInput {
  operation?: 'CREATE' | 'UPDATE' | 'DELETE';
  resource: string;
  subResource?: string;
  object?: JsonObject;
  oldObject?: JsonObject;
  namespace?: string;
  name?: string;
  uid?: string;
}

export function admissionReview(input: ReviewInput): JsonObject {
  const meta = (input.object?.metadata ?? input.oldObject?.metadata ?? {}) as JsonObject;
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: input.uid ?? randomUUID(),
      kind: { group: 'cluster.engula.io', version: 'v1alpha1', kind: String(input.object?.kind ?? '') },
      resource: { group: 'cluster.engula.io', version: 'v1alpha1', resource: input.resource },
      ...(input.subResource ? { subResource: input.subResource } : {}),
      operation: input.operation ?? 'CREATE',
      namespace: input.namespace ?? meta.namespace ?? 'ns',
      name: input.name ?? meta.name ?? '',
      userInfo: { username: 'tester' },
      object: input.object ?? null,
      oldObject: input.oldObject ?? null,
      dryRun: false,
    },
  };
}

export function scaleObject(name: string, namespace: string, replicas: number): JsonObject {
  return { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name, namespace }, spec: { replicas }, status: { replicas } };
}

export interface TestCertificates extends ServingMaterial {
  caPem: string;
}

export async function loopbackCertificates(validityMs = 3600_000): Promise<TestCertificates> {
  const ca = await createCertificateAuthority({ commonName: 'test-ca', validityMs: 24 * 3600_000 });
  const serving = await issueServingCertificate(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityMs });
  return { ...serving, caBundlePem: ca.certPem, caPem: ca.certPem };
}

/** A logger that writes nothing unless LOG_LEVEL asks for it. */
export function quietLogger(): Logger {
  return pino({ level: process.env.LOG_LEVEL ?? 'silent' });
}
