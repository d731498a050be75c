// The shipped Deployment's resource limits (config/manager/manager.yaml), applied to the operator
// the benchmark runs, as a kubelet applies them to the pod: a cgroup with the memory limit and the
// CPU quota. They matter beyond the kernel's enforcement: Node sizes V8's heap from the memory it
// may use (process.constrainedMemory()), so without the limit the benchmark's operator would run
// with a heap sized for the whole machine (4 GiB here rather than 259 MiB in the pod) and collect
// its garbage later than the shipped one does.
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { managerContainer } from './deployment-env.ts';

export interface PodLimits {
  /** CPU limit in millicores (500m → 500). */
  cpuMillis?: number;
  memoryBytes?: number;
}

const BINARY = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 } as const;
const DECIMAL = { k: 1e3, M: 1e6, G: 1e9, T: 1e12 } as const;

/** Bytes of a memory quantity (512Mi, 1G, 1000000); throws on a form it does not know. */
export function memoryBytes(q: string | number): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(q));
  if (!m) throw new Error(`unsupported memory quantity ${JSON.stringify(q)}`);
  const unit = m[2] as keyof typeof BINARY | keyof typeof DECIMAL | undefined;
  const scale = unit === undefined ? 1 : unit in BINARY ? BINARY[unit as keyof typeof BINARY] : DECIMAL[unit as keyof typeof DECIMAL];
  return Math.round(Number(m[1]) * scale);
}

/** Millicores of a CPU quantity (500m, 1, 0.5). */
export function cpuMillis(q: string | number): number {
  const m = /^(\d+(?:\.\d+)?)(m)?$/.exec(String(q));
  if (!m) throw new Error(`unsupported CPU quantity ${JSON.stringify(q)}`);
  return Math.round(Number(m[1]) * (m[2] ? 1 : 1000));
}

export function deploymentLimits(root: string): PodLimits {
  const limits = managerContainer(root)?.resources?.limits;
  return {
    ...(limits?.cpu !== undefined ? { cpuMillis: cpuMillis(limits.cpu) } : {}),
    ...(limits?.memory !== undefined ? { memoryBytes: memoryBytes(limits.memory) } : {}),
  };
}

export interface PodCgroup {
  /** What was applied, for the results ("none" when cgroups were not available). */
  applied: string;
  /** The command run by a shell that first moves itself into the cgroup, then execs it (same pid). */
  wrap(command: string[]): { file: string; args: string[] };
  remove(): void;
}

const CFS_PERIOD_US = 100_000;

/**
 * A cgroup (v1 memory and cpu controllers, or v2) holding `limits`, named `name`. Needs write
 * access to /sys/fs/cgroup, as root has on this machine; without it the operator runs unlimited
 * and `applied` says so.
 */
export function podCgroup(name: string, limits: PodLimits, log: Logger): PodCgroup {
  const dirs: string[] = [];
  const write = (dir: string, file: string, value: string): void => writeFileSync(join(dir, file), value);
  const make = (dir: string): string => {
    mkdirSync(dir, { recursive: true });
    dirs.push(dir);
    return dir;
  };
  const parts: string[] = [];
  try {
    const v2 = readFileSync('/proc/self/cgroup', 'utf8').split('\n').every((l) => l === '' || l.startsWith('0::'));
    if (v2) {
      const dir = make(join('/sys/fs/cgroup', name));
      if (limits.memoryBytes !== undefined) write(dir, 'memory.max', String(limits.memoryBytes));
      if (limits.cpuMillis !== undefined) write(dir, 'cpu.max', `${(limits.cpuMillis * CFS_PERIOD_US) / 1000} ${CFS_PERIOD_US}`);
    } else {
      if (limits.memoryBytes !== undefined) write(make(join('/sys/fs/cgroup/memory', name)), 'memory.limit_in_bytes', String(limits.memoryBytes));
      if (limits.cpuMillis !== undefined) {
        const dir = make(join('/sys/fs/cgroup/cpu', name));
        write(dir, 'cpu.cfs_period_us', String(CFS_PERIOD_US));
        write(dir, 'cpu.cfs_quota_us', String((limits.cpuMillis * CFS_PERIOD_US) / 1000));
      }
    }
    if (limits.memoryBytes !== undefined) parts.push(`memory ${limits.memoryBytes / 2 ** 20} MiB`);
    if (limits.cpuMillis !== undefined) parts.push(`cpu ${limits.cpuMillis}m`);
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'cannot make a cgroup: the operator runs without the Deployment\'s limits');
    for (const d of dirs.reverse()) rmdirSafe(d);
    dirs.length = 0;
  }
  const procs = dirs.map((d) => join(d, 'cgroup.procs'));
  const none = limits.memoryBytes === undefined && limits.cpuMillis === undefined ? 'none' : 'none (no cgroup could be made)';
  return {
    applied: dirs.length > 0 ? `cgroup: ${parts.join(', ')}` : none,
    wrap(command) {
      if (procs.length === 0) return { file: command[0] ?? '', args: command.slice(1) };
      // The shell writes its own pid into each cgroup, then becomes the command.
      const moves = procs.map((p) => `echo $$ > '${p}'`).join(' && ');
      return { file: '/bin/sh', args: ['-c', `${moves} && exec "$@"`, 'operator', ...command] };
    },
    remove() {
      for (const d of dirs.reverse()) rmdirSafe(d);
    },
  };
}

function rmdirSafe(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Still holding a process that has not exited yet, or already gone: a leftover empty cgroup.
  }
}
