// A StatefulSet as the launch check reads it: from whatever JSON the API server (or a test) hands
// over, only the fields that decide how the pod's container starts, typed. A shape the API server
// would never store is refused rather than guessed at.
import type { ContainerLike, EnvVarLike, EnvVarSourceLike } from './kubelet-expand.ts';
import { LaunchRefused } from './refused.ts';

export interface StatefulSetMeta {
  name: string;
  namespace: string;
  /** namespace/name, the prefix of every refusal. */
  key: string;
  uid: string | undefined;
  resourceVersion: string | undefined;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
}

export interface ContainerView extends ContainerLike {
  name: string;
  ports: ReadonlyArray<{ name: string | undefined; containerPort: number }>;
  volumeMounts: ReadonlyArray<{ name: string; mountPath: string; readOnly: boolean }>;
  /** Whether envFrom is used: its variables come from objects this check does not read. */
  hasEnvFrom: boolean;
}

export interface PodTemplateView {
  containers: readonly ContainerView[];
  /** Names of spec.template.spec.volumes. */
  volumes: ReadonlySet<string>;
  /** Names of spec.volumeClaimTemplates: each is a volume of the pod too. */
  claimTemplates: ReadonlySet<string>;
}

type Json = Record<string, unknown>;

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const records = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isRecord) : []);

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(v)) for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  return out;
}

function stringList(v: unknown, field: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new LaunchRefused(`${field} is not a list of strings`, field);
  return v;
}

export function readMeta(obj: unknown): StatefulSetMeta {
  const meta = isRecord(obj) && isRecord(obj.metadata) ? obj.metadata : undefined;
  const name = str(meta?.name);
  if (!meta || !name) throw new LaunchRefused('not a StatefulSet: no metadata.name');
  const namespace = str(meta.namespace) ?? 'default';
  return {
    name,
    namespace,
    key: `${namespace}/${name}`,
    uid: str(meta.uid),
    resourceVersion: str(meta.resourceVersion),
    labels: stringMap(meta.labels),
    annotations: stringMap(meta.annotations),
  };
}

function readValueFrom(v: unknown): EnvVarSourceLike | undefined {
  if (!isRecord(v)) return undefined;
  const out: EnvVarSourceLike = {};
  if (isRecord(v.fieldRef)) out.fieldRef = { fieldPath: str(v.fieldRef.fieldPath) ?? '' };
  if (isRecord(v.resourceFieldRef)) out.resourceFieldRef = { resource: str(v.resourceFieldRef.resource) ?? '', containerName: str(v.resourceFieldRef.containerName) };
  if (isRecord(v.configMapKeyRef)) out.configMapKeyRef = { name: str(v.configMapKeyRef.name), key: str(v.configMapKeyRef.key) ?? '' };
  if (isRecord(v.secretKeyRef)) out.secretKeyRef = { name: str(v.secretKeyRef.name), key: str(v.secretKeyRef.key) ?? '' };
  if (isRecord(v.fileKeyRef)) {
    out.fileKeyRef = { volumeName: str(v.fileKeyRef.volumeName) ?? '', path: str(v.fileKeyRef.path) ?? '', key: str(v.fileKeyRef.key) ?? '' };
  }
  return out;
}

function readEnv(v: unknown): EnvVarLike[] {
  return records(v).map((e) => {
    const name = str(e.name);
    if (name === undefined) throw new LaunchRefused('an env entry has no name', 'env');
    const value = str(e.value);
    const valueFrom = readValueFrom(e.valueFrom);
    return { name, ...(value !== undefined ? { value } : {}), ...(valueFrom ? { valueFrom } : {}) };
  });
}

function readContainer(c: Json): ContainerView {
  const command = stringList(c.command, 'command');
  const args = stringList(c.args, 'args');
  return {
    name: str(c.name) ?? '',
    ...(command ? { command } : {}),
    ...(args ? { args } : {}),
    env: readEnv(c.env),
    ports: records(c.ports).map((p) => ({ name: str(p.name), containerPort: typeof p.containerPort === 'number' ? p.containerPort : NaN })),
    volumeMounts: records(c.volumeMounts).map((m) => ({ name: str(m.name) ?? '', mountPath: str(m.mountPath) ?? '', readOnly: m.readOnly === true })),
    hasEnvFrom: records(c.envFrom).length > 0,
  };
}

export function readPodTemplate(obj: unknown): PodTemplateView {
  const spec = isRecord(obj) && isRecord(obj.spec) ? obj.spec : undefined;
  const podSpec = isRecord(spec?.template) && isRecord(spec.template.spec) ? spec.template.spec : undefined;
  if (!spec || !podSpec) throw new LaunchRefused('no spec.template.spec', 'spec.template');
  return {
    containers: records(podSpec.containers).map(readContainer),
    volumes: new Set(records(podSpec.volumes).flatMap((v) => str(v.name) ?? [])),
    claimTemplates: new Set(records(spec.volumeClaimTemplates).flatMap((t) => (isRecord(t.metadata) ? (str(t.metadata.name) ?? []) : []))),
  };
}
