// The whole-object schema of each kind: what the CRD's openAPIV3Schema is, what the types and the
// validators are generated from.
import { CHILD_KIND_NAMES, KINDS, MAX_NAME_LENGTH, type KindName } from '../kinds.ts';
import { clusterSpec } from './cluster.ts';
import { childSpec } from './component.ts';
import { external, obj, str, type Schema } from './schema.ts';
import { childStatus, clusterStatus } from './status.ts';

const KIND_DESCRIPTIONS: Record<KindName, string> = {
  Cluster: 'An Engula cluster: its journal, storage, kernel and engine components. The operator runs each as a child object.',
  Journal: "An Engula journal: the cluster's write-ahead log, run as a StatefulSet.",
  Storage: "An Engula storage component: the cluster's data files, run as a StatefulSet.",
  Kernel: 'An Engula kernel: coordinates journal and storage, run as a StatefulSet.',
  Engine: "An Engula engine: serves clients on top of the kernel, run as a StatefulSet.",
};

// The apiserver allows nothing on metadata but bounds on name and generateName (not even a
// description). The name is bounded so that the StatefulSet and pod names made from it fit.
function metadata(kind: KindName): Schema {
  return external('V1ObjectMeta', { type: 'object', properties: { name: { type: 'string', maxLength: MAX_NAME_LENGTH[kind] } } });
}

function root(kind: KindName, spec: Schema, status: Schema): Schema {
  return obj(
    KIND_DESCRIPTIONS[kind],
    {
      apiVersion: str('The versioned schema of this object: cluster.engula.io/v1alpha1.'),
      kind: str(`The kind of this object: ${kind}.`),
      metadata: metadata(kind),
      spec,
      status,
    },
    { required: ['spec'] },
  );
}

export const ROOT_SCHEMAS: Record<KindName, Schema> = {
  Cluster: root('Cluster', clusterSpec, clusterStatus),
  ...(Object.fromEntries(CHILD_KIND_NAMES.map((k) => [k, root(k, childSpec(KINDS[k].component), childStatus)])) as Record<
    Exclude<KindName, 'Cluster'>,
    Schema
  >),
};
