// `make chart` (and `make manifests`): writes charts/engula-operator from config/ and removes any
// file in it that the generator no longer makes. The chart is generated whole: edit config/ or
// hack/chart/, never the chart.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { repoRoot } from '../kustomize.ts';
import { CHART_DIR, chartFiles, readChartInputs } from './chart.ts';

/** Every file under dir, relative to the repository. */
export function filesUnder(dir: string): string[] {
  const abs = join(repoRoot, dir);
  let entries;
  try {
    entries = readdirSync(abs, { withFileTypes: true, recursive: true });
  } catch {
    return [];
  }
  return entries.filter((e) => e.isFile()).map((e) => relative(repoRoot, join(e.parentPath, e.name))).sort();
}

export function writeChart(): { written: string[]; removed: string[] } {
  const files = chartFiles(readChartInputs());
  const removed = filesUnder(CHART_DIR).filter((f) => !(f in files));
  for (const f of removed) rmSync(join(repoRoot, f));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(repoRoot, path)), { recursive: true });
    writeFileSync(join(repoRoot, path), content);
  }
  return { written: Object.keys(files), removed };
}

if (import.meta.main) {
  const { written, removed } = writeChart();
  process.stdout.write(`wrote ${written.length} files of ${CHART_DIR}${removed.length ? `; removed ${removed.join(', ')}` : ''}\n`);
}
