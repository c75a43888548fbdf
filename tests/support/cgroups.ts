import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/**
 * `docker stats` reads nothing (every value 0, and "cgroups: cannot find cgroup mount
 * destination" in dockerd's log) when /proc/self/cgroup names a cgroup v1 hierarchy
 * that is mounted nowhere in this mount namespace: containerd can't load a task's
 * cgroups. On these machines hugetlb, net_cls, net_prio and perf_event are such
 * hierarchies (their folders under /sys/fs/cgroup are empty). Mounts each missing one
 * for the suite, before any engine starts a container; returns the undo.
 */
export async function mountMissingCgroups(): Promise<() => Promise<void>> {
  // The controllers of each cgroup v1 mount (the super options after `- cgroup cgroup`).
  const mountedSets = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(' - cgroup cgroup '))
    .map((l) => (l.split(' ').at(-1) ?? '').split(','));
  const mounted: string[] = [];
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [id, controllers] = line.split(':');
    if (!controllers || id === '0' || controllers.startsWith('name=')) continue;
    const wanted = controllers.split(',');
    if (mountedSets.some((set) => wanted.every((c) => set.includes(c)))) continue;
    const dir = `/sys/fs/cgroup/${controllers}`;
    if (!existsSync(dir) || readdirSync(dir).length > 0) continue;
    const r = await execa('mount', ['-t', 'cgroup', '-o', controllers, 'cgroup', dir], {
      reject: false,
    });
    if (r.exitCode === 0) mounted.push(dir);
  }
  return async () => {
    for (const dir of mounted.reverse()) await execa('umount', [dir], { reject: false });
  };
}
