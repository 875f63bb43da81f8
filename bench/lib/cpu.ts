/**
 * CPU share of processes over a window, from `/proc/<pid>/stat` (utime + stime, every thread of
 * the process) read at the window's start and end. Shares are in % of one core, so on a 2-core box
 * everything together is at most 200. The machine's total (`/proc/stat`) is read too: what no
 * listed process used ("other") shows whether something else was competing for the cores.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fmt, median } from './numbers.js';

/** A process to watch; processes with the same `group` are printed together (e.g. the workers). */
export interface Watched {
  label: string;
  pid: number;
  group?: string;
}

export interface CpuShare extends Watched {
  /** % of one core over the window; NaN when the process was gone at either end. */
  percent: number;
}

export interface CpuReport {
  seconds: number;
  shares: CpuShare[];
  /** Every process on the machine, % of one core. */
  machine: number;
  /** `machine` minus the listed processes. */
  other: number;
  cores: number;
}

function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
}

const TICKS_PER_SECOND = clockTicksPerSecond();

/** utime + stime of `pid` in clock ticks; undefined once the process is gone. */
export function processTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), starting at field 3 (state):
    // utime is field 14 and stime field 15 of proc(5).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** Busy ticks of all cores together and the number of cores, from the `cpu` lines of /proc/stat. */
function machineTicks(): { busy: number; cores: number } {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  const [, user, nice, system, , , irq, softirq, steal] = lines[0]!.trim().split(/\s+/).map(Number);
  return { busy: user! + nice! + system! + irq! + softirq! + steal!, cores: lines.filter((l) => /^cpu\d/.test(l)).length };
}

/** Start measuring `watched` now; `stop()` returns each one's share since. */
export function startCpuWindow(watched: readonly Watched[]): { stop: () => CpuReport } {
  const started = performance.now();
  const machineStart = machineTicks();
  const before = watched.map((w) => processTicks(w.pid));
  return {
    stop: () => {
      const seconds = (performance.now() - started) / 1000;
      const after = watched.map((w) => processTicks(w.pid));
      const percentOf = (ticks: number): number => (100 * ticks) / TICKS_PER_SECOND / seconds;
      const shares = watched.map((w, i) => {
        const [a, b] = [before[i], after[i]];
        return { ...w, percent: a === undefined || b === undefined ? NaN : percentOf(b - a) };
      });
      const machine = percentOf(machineTicks().busy - machineStart.busy);
      const listed = shares.reduce((sum, s) => sum + (Number.isFinite(s.percent) ? s.percent : 0), 0);
      return { seconds, shares, machine, other: machine - listed, cores: machineStart.cores };
    },
  };
}

/** Shares summed per group (ungrouped processes by label), in first-seen order. */
export function groupedShares(report: CpuReport): { label: string; percent: number; parts: number[] }[] {
  const groups = new Map<string, { label: string; percent: number; parts: number[] }>();
  for (const s of report.shares) {
    const key = s.group ?? s.label;
    const g = groups.get(key) ?? { label: key, percent: 0, parts: [] };
    g.percent += s.percent;
    g.parts.push(s.percent);
    groups.set(key, g);
  }
  return [...groups.values()];
}

/** One line: `producer 85.1  workers 60.2 (12.1 11.9 …)  …  | machine 196 of 200, other 4.0`. */
export function formatCpu(report: CpuReport): string {
  const parts = groupedShares(report).map(
    (g) => `${g.label} ${fmt(g.percent, 1)}${g.parts.length > 1 ? ` (${g.parts.map((p) => fmt(p, 1)).join(' ')})` : ''}`,
  );
  return `${parts.join('  ')}  | machine ${fmt(report.machine, 0)} of ${report.cores * 100}, other ${fmt(report.other, 1)}`;
}

/** Per group, the median share over several windows (rounds of one side), and the machine's. */
export function formatMedianCpu(reports: readonly CpuReport[]): string {
  const byGroup = new Map<string, number[]>();
  for (const r of reports) for (const g of groupedShares(r)) byGroup.set(g.label, [...(byGroup.get(g.label) ?? []), g.percent]);
  const parts = [...byGroup].map(([label, values]) => `${label} ${fmt(median(values), 1)}`);
  return `${parts.join('  ')}  | machine ${fmt(median(reports.map((r) => r.machine)), 0)}, other ${fmt(median(reports.map((r) => r.other)), 1)}`;
}
