// The scaling API's own logic, pure: the Scale of a component (from the Cluster and its child),
// the Scale a caller sends, the patch it becomes, and what an API server refusal becomes.
import { COMPONENTS, GROUP, KINDS, type ComponentName } from '../../api/v1alpha1/kinds.ts';
import { childName, selectorLabels, selectorString } from '../../controllers/desired/index.ts';
import { isRecord, type ApiError, type JsonPatchOperation, type StatusCause } from '../../runtime/index.ts';
import { failure, type Status } from './status.ts';

export const SCALING_GROUP = 'scaling.engula.io';
export const SCALING_VERSION = 'v1';
/** fastify's path syntax; docs/scaling.openapi.yaml spells it with braces. */
export const SCALE_ROUTE = `/apis/${SCALING_GROUP}/${SCALING_VERSION}/namespaces/:namespace/clusters/:cluster/components/:component/scale`;
/** Shown in the Cluster's managedFields as the writer of a replica count changed through this API. */
export const FIELD_MANAGER = 'engula-scaling-api';

type Json = Record<string, unknown>;

function at(obj: unknown, ...path: string[]): unknown {
  let v = obj;
  for (const p of path) v = isRecord(v) ? v[p] : undefined;
  return v;
}

export function isComponent(name: string): name is ComponentName {
  return (COMPONENTS as readonly string[]).includes(name);
}

export interface Scale {
  apiVersion: 'autoscaling/v1';
  kind: 'Scale';
  metadata: { name: string; namespace: string; resourceVersion: string; uid?: string; creationTimestamp?: string };
  spec: { replicas: number };
  status: { replicas: number; selector: string };
}

/** The component's entry in the Cluster's spec, or undefined when the Cluster has none (404). */
export function componentSpecOf(cluster: unknown, component: ComponentName): Json | undefined {
  const c = at(cluster, 'spec', component);
  return isRecord(c) ? c : undefined;
}

/**
 * spec.replicas is the Cluster's; status comes from the child (Journal, Storage...) that runs the
 * component, which mirrors its StatefulSet: pods that exist, and the selector they carry. Before
 * the child reports (just created), there are no pods yet and the selector is the one it will use.
 */
export function scaleOf(cluster: Json, component: ComponentName, child: Json | undefined): Scale {
  const name = String(at(cluster, 'metadata', 'name') ?? '');
  const replicas = at(cluster, 'spec', component, 'replicas');
  const childReplicas = at(child, 'status', 'replicas');
  const childSelector = at(child, 'status', 'selector');
  const instance = childName(name, component);
  const metadata: Scale['metadata'] = {
    name,
    namespace: String(at(cluster, 'metadata', 'namespace') ?? ''),
    resourceVersion: String(at(cluster, 'metadata', 'resourceVersion') ?? ''),
  };
  const uid = at(cluster, 'metadata', 'uid');
  if (typeof uid === 'string') metadata.uid = uid;
  const created = at(cluster, 'metadata', 'creationTimestamp');
  if (typeof created === 'string') metadata.creationTimestamp = created;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata,
    spec: { replicas: typeof replicas === 'number' ? replicas : 0 },
    status: {
      replicas: typeof childReplicas === 'number' ? childReplicas : 0,
      selector: typeof childSelector === 'string' && childSelector !== '' ? childSelector : selectorString(selectorLabels(instance, component)),
    },
  };
}

export type ScaleRequest =
  | { ok: true; replicas: unknown; resourceVersion: string | undefined }
  | { ok: false; status: Status };

/**
 * Reads the body of a PUT. Only the envelope is checked here (a Scale, of this Cluster, with a
 * replica count); the count itself is the API server's to judge, by the same schema, CEL rules and
 * webhook that judge `kubectl apply`, so the two can never disagree.
 */
export function parseScaleRequest(body: unknown, namespace: string, cluster: string): ScaleRequest {
  const bad = (message: string): ScaleRequest => ({ ok: false, status: failure(400, message) });
  if (!isRecord(body)) return bad('the body must be a JSON object: an autoscaling/v1 Scale');
  if (body.kind !== 'Scale' || body.apiVersion !== 'autoscaling/v1') {
    return bad(`the body must be an autoscaling/v1 Scale, got apiVersion ${JSON.stringify(body.apiVersion ?? null)} kind ${JSON.stringify(body.kind ?? null)}`);
  }
  const meta = body.metadata ?? {};
  if (!isRecord(meta)) return bad('metadata must be an object');
  if (meta.name !== undefined && meta.name !== cluster) return bad(`metadata.name ${JSON.stringify(meta.name)} does not match the Cluster in the URL (${cluster})`);
  if (meta.namespace !== undefined && meta.namespace !== namespace) return bad(`metadata.namespace ${JSON.stringify(meta.namespace)} does not match the namespace in the URL (${namespace})`);
  const rv = meta.resourceVersion;
  if (rv !== undefined && (typeof rv !== 'string' || rv === '')) return bad('metadata.resourceVersion must be a non-empty string (the one a GET answered) or absent');
  const replicas = at(body, 'spec', 'replicas');
  if (replicas === undefined || replicas === null) {
    return {
      ok: false,
      status: failure(422, 'spec.replicas is required: the number of replicas wanted', {
        kind: 'Scale',
        name: cluster,
        causes: [{ field: 'spec.replicas', reason: 'FieldValueRequired', message: 'Required value' }],
      }),
    };
  }
  return { ok: true, replicas, resourceVersion: rv };
}

/**
 * A JSON patch rather than a merge patch: it can set null or a string as the value (for the API
 * server to refuse) where a merge patch would delete the field, and `add` fails rather than create
 * the component if it was removed meanwhile. The resourceVersion makes the API server refuse with
 * 409 when the Cluster changed since the caller read it.
 */
export function replicasPatch(component: ComponentName, replicas: unknown, resourceVersion: string | undefined): JsonPatchOperation[] {
  const ops: JsonPatchOperation[] = [];
  if (resourceVersion !== undefined) ops.push({ op: 'replace', path: '/metadata/resourceVersion', value: resourceVersion });
  ops.push({ op: 'add', path: `/spec/${component}/replicas`, value: replicas });
  return ops;
}

function isWebhookDenial(err: ApiError): boolean {
  return err.statusCode === 403 && (err.causes.length > 0 || /admission webhook ".*" denied the request/.test(err.statusMessage));
}

/**
 * What the caller gets when the API server refused the patch. A refusal of the value (schema, CEL,
 * our own validating webhook, which may answer 403 for a forbidden change) is a 422 naming the
 * field; a stale resourceVersion is 409; anything else is ours to fix, not the caller's: 500, or
 * 503 when retrying may help.
 */
export function refusalOf(err: ApiError, cluster: string, component: ComponentName): Status {
  const details = { group: GROUP, kind: KINDS.Cluster.plural, name: cluster };
  if (err.statusCode === 409) {
    return failure(409, `the Cluster ${cluster} changed since that resourceVersion was read: GET the Scale again and retry (${err.statusMessage})`, details);
  }
  if (err.statusCode === 404) return failure(404, `Cluster ${cluster} not found`, details);
  if (err.statusCode === 422 || err.statusCode === 400 || isWebhookDenial(err)) {
    const field = `spec.${component}.replicas`;
    const causes: StatusCause[] = err.causes.length > 0 ? err.causes : [{ field, reason: 'FieldValueInvalid', message: err.statusMessage }];
    return failure(422, err.statusMessage, { ...details, causes });
  }
  if (err.statusCode === 429 || err.statusCode >= 500) return failure(503, `the API server could not take the change now, retry: ${err.statusMessage}`, details);
  return failure(500, `the operator could not change the Cluster: ${err.statusCode} ${err.reason}`, details);
}
