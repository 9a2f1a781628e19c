// Benchmark harness: reads a process's CPU time and peak RSS from /proc, so proxy cost is measured from outside it.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let ticksPerSecond;
export function clockTicks() {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime+stime of a process in seconds (proc(5): fields 14 and 15, counted after the ")" that ends comm). */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field N is fields[N - 3].
  return (Number(fields[11]) + Number(fields[12])) / clockTicks();
}

/** { rssMB, peakMB } from /proc/PID/status (VmRSS, VmHWM). */
function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 };
}

/** Resets VmHWM to the current RSS (proc(5) clear_refs "5"), so each run's peak is its own; false if refused. */
export function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Machine-wide CPU seconds from /proc/stat's "cpu" line: busy (user+nice+system+irq+softirq+steal) and steal (time the
 * hypervisor gave to other guests). The harness subtracts its own processes' share to see other load on the machine.
 */
export function machineCpu() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return { busy: (user + nice + system + irq + softirq + steal) / clockTicks(), steal: steal / clockTicks() };
}

/** pid and all its descendants (a cluster primary and its workers, nginx's master and workers), from /proc/PID/stat. */
export function processTree(pid) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    } // exited meanwhile
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(name));
  }
  const out = [];
  const visit = (p) => {
    out.push(p);
    for (const c of children.get(p) ?? []) visit(c);
  };
  visit(pid);
  return out;
}

/** Sum over processes of cpuSeconds; one that exited in between counts 0 (its CPU is lost, as in `ps`). */
export function cpuSecondsOf(pids) {
  let total = 0;
  for (const pid of pids) {
    try {
      total += cpuSeconds(pid);
    } catch {
      /* exited */
    }
  }
  return total;
}

/** Summed VmRSS and VmHWM: the processes' peaks need not coincide, so peakMB is an upper bound of the tree's. */
export function memoryOf(pids) {
  let rssMB = 0;
  let peakMB = 0;
  for (const pid of pids) {
    try {
      const m = memory(pid);
      rssMB += m.rssMB;
      peakMB += m.peakMB;
    } catch {
      /* exited */
    }
  }
  return { rssMB, peakMB };
}
