// The CustomResourceDefinition of each kind, built from its schema; api/generate.ts writes them out.
import { CATEGORY, GROUP, KINDS, VERSION, type KindName } from './kinds.ts';
import { ROOT_SCHEMAS } from './schema/roots.ts';
import type { Schema } from './schema/schema.ts';

interface PrinterColumn {
  name: string;
  type: 'integer' | 'string' | 'date';
  jsonPath: string;
  description: string;
  priority?: number;
}

const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since creation.' };

const CLUSTER_COLUMNS: PrinterColumn[] = [
  { name: 'Ready', type: 'string', jsonPath: '.status.readySummary', description: 'Ready components over components in the spec.' },
  { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'A one-word summary of the cluster.' },
  { name: 'Engula', type: 'string', jsonPath: '.spec.name', description: "The Engula cluster's name.", priority: 1 },
  { name: 'Image', type: 'string', jsonPath: '.spec.image.name', description: 'The default image.', priority: 1 },
  AGE,
];

const CHILD_COLUMNS: PrinterColumn[] = [
  { name: 'Desired', type: 'integer', jsonPath: '.spec.replicas', description: 'Replicas in the spec.' },
  { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas', description: 'Ready pods.' },
  { name: 'Updated', type: 'integer', jsonPath: '.status.updatedReplicas', description: 'Pods that run the current pod template.' },
  { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'A one-word summary of the component.' },
  { name: 'Rollout', type: 'string', jsonPath: '.status.rollout', description: 'What the roll of a pod template change does or waits for, while there is one.' },
  { name: 'Revision', type: 'string', jsonPath: '.status.updateRevision', description: 'The StatefulSet revision the pods run, or a roll brings them to.', priority: 1 },
  { name: 'Cluster', type: 'string', jsonPath: '.spec.clusterName', description: 'The Engula cluster it belongs to.', priority: 1 },
  AGE,
];

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames: string[]; categories: string[] };
    scope: 'Namespaced';
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: Schema };
      subresources: { status: Record<string, never>; scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath: string } };
      additionalPrinterColumns: PrinterColumn[];
    }[];
  };
}

export function crdName(kind: KindName): string {
  return `${KINDS[kind].plural}.${GROUP}`;
}

export function buildCrd(kind: KindName): CustomResourceDefinition {
  const k = KINDS[kind];
  const isChild = kind !== 'Cluster';
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: crdName(kind) },
    spec: {
      group: GROUP,
      names: { kind: k.kind, listKind: k.listKind, plural: k.plural, singular: k.singular, shortNames: [k.shortName], categories: [CATEGORY] },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: ROOT_SCHEMAS[kind] },
          subresources: isChild
            ? {
                status: {},
                scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
              }
            : { status: {} },
          additionalPrinterColumns: isChild ? CHILD_COLUMNS : CLUSTER_COLUMNS,
        },
      ],
    },
  };
}
