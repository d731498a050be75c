// Status of the children (mirrors their StatefulSet) and of the Cluster (a roll-up of its children).
import { COMPONENTS, PHASES } from '../kinds.ts';
import { conditions } from './core.ts';
import { int32, int64, named, obj, str, type Schema } from './schema.ts';

const phase = (what: string): Schema =>
  str(`A one-word summary of ${what}: Pending, Progressing, Ready, Degraded, Paused or Hibernated. Conditions say why.`, { enum: PHASES });

const observedGeneration = int64('The .metadata.generation that this status describes.', { minimum: 0 });

export const childStatus = named(
  'ChildStatus',
  obj('The observed state of the component, taken from its StatefulSet.', {
    observedGeneration,
    replicas: int32('Pods that exist (the scale subresource reads this).', { minimum: 0 }),
    readyReplicas: int32('Pods that are Ready.', { minimum: 0 }),
    updatedReplicas: int32('Pods that run the current pod template.', { minimum: 0 }),
    currentRevision: str('The StatefulSet revision the pods not yet rolled run.'),
    updateRevision: str('The StatefulSet revision a roll brings the pods to.'),
    rollout: str('What the roll of a pod template change does or waits for, while there is one.'),
    selector: str('The label selector of the pods, as a string (the scale subresource and HorizontalPodAutoscalers read this).'),
    phase: phase('the component'),
    conditions,
  }),
);

const componentSummary = (component: string): Schema => named(
  'ComponentSummary',
  obj(
    `The state of the ${component} component.`,
    {
      name: str('Name of the child object (Journal, Storage, Kernel or Engine) that runs it.'),
      desired: int32('Replicas in the spec.', { minimum: 0 }),
      ready: int32('Ready pods.', { minimum: 0 }),
      phase: phase('the component'),
    },
    { required: ['desired', 'ready'] },
  ),
  'The state of one component of the cluster.',
);

export const clusterStatus = named(
  'ClusterStatus',
  obj('The observed state of the cluster, rolled up from its components.', {
    observedGeneration,
    phase: phase('the cluster'),
    readySummary: str('Ready components over components in the spec, e.g. "3/4" (the Ready column of kubectl get).'),
    components: named(
      'ClusterComponentsStatus',
      obj(
        'The state of each component in the spec, by component name.',
        Object.fromEntries(COMPONENTS.map((c) => [c, componentSummary(c)])),
      ),
    ),
    conditions,
  }),
);
