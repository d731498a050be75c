// Registration by URL for local runs (`make run`, --local-webhooks): the configurations are created,
// or updated when they differ from what this process wants, through the runtime's Client (its
// update() reads fresh and starts over on a 409). An existing configuration keeps its caBundle: the
// injector alone moves the bundle (from the Secret), so a replica that starts never puts back a
// bundle older than the one registered.
import type * as k8s from '@kubernetes/client-node';
import { isAlreadyExists, isNotFound, isSubset, type Client, type KubeObject } from '../runtime/index.ts';
import { webhookConfigurationKinds, type WebhookConfigurationObject } from './tls/configuration-watch.ts';

type Configuration = k8s.V1ValidatingWebhookConfiguration | k8s.V1MutatingWebhookConfiguration;

const TIMEOUT_MS = 10_000;

function keepCaBundles(desired: Configuration, existing: WebhookConfigurationObject): Configuration {
  const byName = new Map((existing.webhooks ?? []).map((w) => [w.name, w.clientConfig.caBundle]));
  const webhooks = (desired.webhooks ?? []).map((w) => {
    const caBundle = byName.get(w.name);
    const clientConfig = { ...w.clientConfig };
    delete clientConfig.caBundle;
    return { ...w, clientConfig: caBundle === undefined ? clientConfig : { ...clientConfig, caBundle } };
  });
  return { ...desired, webhooks } as Configuration;
}

async function register(client: Client, kind: 'validating' | 'mutating', desired: Configuration): Promise<void> {
  const ref = webhookConfigurationKinds[kind];
  const name = desired.metadata?.name ?? '';
  const signal = AbortSignal.timeout(TIMEOUT_MS);
  const toDesired = (draft: KubeObject): void => {
    const live = draft as WebhookConfigurationObject;
    const body = keepCaBundles(desired, live);
    if (isSubset(body, live)) return;
    Object.assign(draft, body, { metadata: { ...draft.metadata, ...body.metadata, resourceVersion: draft.metadata.resourceVersion } });
  };
  if ((await client.update(ref, '', name, toDesired, signal)).obj !== undefined) return;
  try {
    await client.create(ref, desired as KubeObject, signal);
  } catch (err) {
    // Another replica created it first: make it ours as an existing one.
    if (!isAlreadyExists(err)) throw err;
    await client.update(ref, '', name, toDesired, signal);
  }
}

export async function registerConfigurations(client: Client, validating: k8s.V1ValidatingWebhookConfiguration, mutating: k8s.V1MutatingWebhookConfiguration): Promise<void> {
  await register(client, 'validating', validating);
  await register(client, 'mutating', mutating);
}

export async function unregisterConfigurations(client: Client, name: string): Promise<void> {
  for (const ref of Object.values(webhookConfigurationKinds)) {
    await client.delete(ref, '', name, { signal: AbortSignal.timeout(TIMEOUT_MS) }).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }
}
