// Compares what an operator is granted with what it did: the API calls in its request records
// (--api-request-log) against the rules of its Roles and ClusterRoles. Both ways: a call no rule
// allows is missing from the role; a rule no call used (and that is not held only so it can be
// granted to someone else) is more than the operator needs.
import type { RequestRecord } from './request-log.ts';

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** One permission: `<group>/<resource>[/<subresource>]:<verb>`, group '' for the core API. */
export type Permission = string;

export interface ApiCall {
  group: string;
  resource: string;
  name?: string;
  namespace?: string;
  verb: string;
}

/** The RBAC view of one request path, or undefined for discovery and other non-resource paths. */
export function apiCallOf(method: string, path: string, query = ''): ApiCall | undefined {
  const parts = path.split('/').filter((p) => p !== '').map(decodeURIComponent);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, sub] = rest;
  if (!plural) return undefined;
  const resource = sub ? `${plural}/${sub}` : plural;
  const params = new URLSearchParams(query);
  const watch = params.get('watch') === 'true' || params.get('watch') === '1';
  // A list or watch narrowed to one object by field selector is authorized against resourceNames.
  const selectedName = /^metadata\.name=([^,]+)$/.exec(params.get('fieldSelector') ?? '')?.[1];
  const verb =
    method === 'GET' ? (name ? 'get' : watch ? 'watch' : 'list')
    : method === 'POST' ? 'create'
    : method === 'PUT' ? 'update'
    : method === 'PATCH' ? 'patch'
    : method === 'DELETE' ? (name ? 'delete' : 'deletecollection')
    : method.toLowerCase();
  const named = name ?? (method === 'GET' ? selectedName : undefined);
  return { group, resource, verb, ...(named ? { name: named } : {}), ...(namespace ? { namespace } : {}) };
}

export function permissionOf(c: Pick<ApiCall, 'group' | 'resource' | 'verb'>): Permission {
  return `${c.group}/${c.resource}:${c.verb}`;
}

/** Every permission the records show a call of. */
export function permissionsUsed(records: RequestRecord[]): Set<Permission> {
  const out = new Set<Permission>();
  for (const r of records) {
    if (r.at !== 'done') continue;
    const call = apiCallOf(r.method, r.path, r.query ?? '');
    if (!call) continue;
    out.add(permissionOf(call));
    // An apply (PATCH) or PUT that made the object is also authorized as `create`.
    if (r.code === 201 && (call.verb === 'patch' || call.verb === 'update')) out.add(permissionOf({ ...call, verb: 'create' }));
  }
  return out;
}

/** The permissions a set of rules grants (resourceNames narrow a rule but do not change what it is for). */
export function permissionsGranted(rules: PolicyRule[]): Set<Permission> {
  const out = new Set<Permission>();
  for (const rule of rules) {
    for (const group of rule.apiGroups ?? []) for (const resource of rule.resources ?? []) for (const verb of rule.verbs) out.add(permissionOf({ group, resource, verb }));
  }
  return out;
}

/** Whether `rules` allow one call, resourceNames included. */
export function allows(rules: PolicyRule[], call: ApiCall): boolean {
  return rules.some(
    (r) =>
      (r.apiGroups ?? []).some((g) => g === '*' || g === call.group) &&
      (r.resources ?? []).some((x) => x === '*' || x === call.resource) &&
      r.verbs.some((v) => v === '*' || v === call.verb) &&
      (r.resourceNames === undefined || (call.name !== undefined && r.resourceNames.includes(call.name))),
  );
}
