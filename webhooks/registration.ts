// Registration by URL for local runs (`make run`, --local-webhooks): the configurations are created,
// or replaced when they differ from what this process wants, through the runtime's REST client.
// An existing configuration keeps its caBundle: the injector alone moves the bundle (from the
// Secret), so a replica that starts never puts back a bundle older than the one registered.
import type * as k8s from '@kubernetes/client-node';
import { ApiError, isNotFound, isSubset, resourcePath, type RestClient } from '../runtime/index.ts';
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

async function register(rest: RestClient, kind: 'validating' | 'mutating', desired: Configuration): Promise<void> {
  const ref = webhookConfigurationKinds[kind];
  const name = desired.metadata?.name ?? '';
  for (let attempt = 0; ; attempt++) {
    let existing: WebhookConfigurationObject;
    try {
      existing = await rest.request<WebhookConfigurationObject>('GET', resourcePath(ref, '', name), { timeoutMs: TIMEOUT_MS });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await rest.request('POST', resourcePath(ref), { body: desired, timeoutMs: TIMEOUT_MS });
        return;
      } catch (e) {
        if (!(e instanceof ApiError && e.statusCode === 409) || attempt >= 4) throw e;
        continue;
      }
    }
    const body = keepCaBundles(desired, existing);
    if (isSubset(body, existing)) return;
    try {
      await rest.request('PUT', resourcePath(ref, '', name), { body: { ...body, metadata: { ...body.metadata, resourceVersion: existing.metadata.resourceVersion } }, timeoutMs: TIMEOUT_MS });
      return;
    } catch (err) {
      // The injector (ours or another replica's) wrote in between: read again.
      if (!(err instanceof ApiError && err.statusCode === 409) || attempt >= 4) throw err;
    }
  }
}

export async function registerConfigurations(rest: RestClient, validating: k8s.V1ValidatingWebhookConfiguration, mutating: k8s.V1MutatingWebhookConfiguration): Promise<void> {
  await register(rest, 'validating', validating);
  await register(rest, 'mutating', mutating);
}

export async function unregisterConfigurations(rest: RestClient, name: string): Promise<void> {
  for (const ref of Object.values(webhookConfigurationKinds)) {
    await rest.request('DELETE', resourcePath(ref, '', name), { timeoutMs: TIMEOUT_MS }).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }
}
