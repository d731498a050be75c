// The Validating/MutatingWebhookConfiguration objects, as pure functions: by URL for a local run
// (the apiserver calls https://127.0.0.1:<port>), or by Service for a deployment. The kustomize
// manifests in config/webhook are generated from these, so the two cannot drift.
import type * as k8s from '@kubernetes/client-node';
import { GROUP, KINDS, VERSION } from '../api/v1alpha1/kinds.ts';
import { MUTATE_PATH, VALIDATE_PATH } from './admission/routes.ts';
import { WEBHOOK_LABELS } from './defaults.ts';

export type WebhookTarget =
  /** Base URL without a trailing slash, e.g. https://127.0.0.1:9443. */
  | { url: string }
  | { service: { namespace: string; name: string; port: number } };

export interface WebhookConfigurationOptions {
  /** metadata.name of both objects. */
  name: string;
  target: WebhookTarget;
  /** PEM of the CA bundle; left out when something else injects it (cert-manager's cainjector). */
  caBundlePem?: string;
  /** Limits the webhooks to some namespaces (tests scope theirs to their own namespace). */
  namespaceSelector?: k8s.V1LabelSelector;
  /** How long the apiserver waits for an answer (default DEFAULT_TIMEOUT_SECONDS). */
  timeoutSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Webhook names must be fully qualified; one per configuration is enough for all five kinds. */
export const VALIDATING_WEBHOOK_NAME = `validate.${GROUP}`;
export const MUTATING_WEBHOOK_NAME = `default.${GROUP}`;
// Kubernetes' and kubebuilder's default. 5 s was tried: on a busy node (every replica serves
// admission on the same event loop as its informers) a burst of reconciles held answers past it,
// and failurePolicy Fail then refused writes that were valid.
export const DEFAULT_TIMEOUT_SECONDS = 10;

const plurals = Object.values(KINDS).map((k) => k.plural);
const scalePlurals = Object.values(KINDS).flatMap((k) => ('component' in k ? [`${k.plural}/scale`] : []));

function clientConfig(target: WebhookTarget, path: string, caBundlePem: string | undefined): k8s.AdmissionregistrationV1WebhookClientConfig {
  const caBundle = caBundlePem === undefined ? {} : { caBundle: Buffer.from(caBundlePem).toString('base64') };
  if ('url' in target) return { url: `${target.url}${path}`, ...caBundle };
  return { service: { namespace: target.service.namespace, name: target.service.name, port: target.service.port, path }, ...caBundle };
}

function rule(resources: string[]): k8s.V1RuleWithOperations {
  // DELETE is left out on purpose: a stopped operator must never block clean-up.
  return { apiGroups: [GROUP], apiVersions: [VERSION], operations: ['CREATE', 'UPDATE'], resources, scope: 'Namespaced' };
}

function metadata(opts: WebhookConfigurationOptions): k8s.V1ObjectMeta {
  return {
    name: opts.name,
    labels: { ...WEBHOOK_LABELS, ...opts.labels },
    ...(opts.annotations ? { annotations: opts.annotations } : {}),
  };
}

type CommonFields = 'admissionReviewVersions' | 'sideEffects' | 'failurePolicy' | 'matchPolicy' | 'timeoutSeconds' | 'namespaceSelector';

function common(opts: WebhookConfigurationOptions): Pick<k8s.V1ValidatingWebhook, CommonFields> {
  return {
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    failurePolicy: 'Fail',
    matchPolicy: 'Equivalent',
    timeoutSeconds: opts.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
    ...(opts.namespaceSelector ? { namespaceSelector: opts.namespaceSelector } : {}),
  };
}

export function validatingWebhookConfiguration(opts: WebhookConfigurationOptions): k8s.V1ValidatingWebhookConfiguration {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: metadata(opts),
    webhooks: [
      {
        name: VALIDATING_WEBHOOK_NAME,
        clientConfig: clientConfig(opts.target, VALIDATE_PATH, opts.caBundlePem),
        rules: [rule([...plurals, ...scalePlurals])],
        ...common(opts),
      },
    ],
  };
}

export function mutatingWebhookConfiguration(opts: WebhookConfigurationOptions): k8s.V1MutatingWebhookConfiguration {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: metadata(opts),
    webhooks: [
      {
        name: MUTATING_WEBHOOK_NAME,
        clientConfig: clientConfig(opts.target, MUTATE_PATH, opts.caBundlePem),
        rules: [rule(plurals)],
        reinvocationPolicy: 'Never',
        ...common(opts),
      },
    ],
  };
}

/** DNS names a Service is reached by from inside the cluster: the serving certificate's SANs. */
export function serviceDnsNames(service: { namespace: string; name: string }, clusterDomain = 'cluster.local'): string[] {
  const { name, namespace } = service;
  return [name, `${name}.${namespace}`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.${clusterDomain}`];
}
