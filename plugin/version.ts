// The plugin's version: the package's own, read from package.json next to wherever this file runs
// from (the source tree, or dist/ after `npm run build`, one folder deeper), so it has one source.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { API_VERSION } from '../api/v1alpha1/kinds.ts';

const PACKAGE_NAME = 'engula-operator';

function packageVersion(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version;
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

export interface ClientVersion {
  /** `v0.1.0` */
  version: string;
  /** The API group/version the plugin reads and writes. */
  apiVersion: string;
}

export function clientVersion(): ClientVersion {
  return { version: `v${packageVersion(import.meta.dirname)}`, apiVersion: API_VERSION };
}
