/**
 * The tune decision (src/tune/plan.ts) and the CPU summary it reads (src/tune/cpu.ts): plain
 * diagnosis data in, a plan out. No collector, no mocks.
 */
import type { Capacity, Finding, QueueDiagnosis, WorkerConcurrencyReport } from '@queuescope/contracts';
import { describe, expect, it } from 'vitest';
import { cpuLoad, type CpuLoad } from '../src/tune/cpu.js';
import { describeChange, isCpuBound, planTune, type QueueSetting } from '../src/tune/plan.js';

const CAPACITY: Capacity = {
  arrivalRate: 30,
  arrivalSource: 'queue',
  runArrivalRate: 30,
  meanRunMs: 120,
  workers: 2,
  workersSource: 'run-config',
  perProcessConcurrency: 1,
  perProcessSource: 'run-config',
  concurrency: 2,
  utilisation: 1.8,
  throughput: 16,
  serviceRate: 16,
  backlogAtStart: 0,
  backlogAtStartAt: null,
  backlogAtStartWaitSeconds: 0,
  backlogAtStartDrainSeconds: null,
};

function waiting(total: number | null): Finding {
  return {
    cause: 'waiting',
    because: ['utilisation ρ = 1.80 ≥ 0.85'],
    evidence: {
      arrivalRate: 30,
      runArrivalRate: 30,
      meanRunMs: 120,
      concurrency: 2,
      utilisation: 1.8,
      waitP95Ms: 9000,
      runP95Ms: 121,
      peakWaiting: 300,
      backlogAtStart: 0,
      backlogAtStartWaitSeconds: 0,
      backlogAtStartDrainSeconds: null,
    },
    recommendation: {
      text: `Raise webhook concurrency from 2 to ${total} in total.`,
      concurrency: total,
      atLeastCurrent: false,
      perProcessConcurrency: total === null ? null : Math.ceil(total / 2),
      workers: 2,
      backlog: 0,
      backlogSource: 'queue_depth',
      serviceRate: 16,
      drains: false,
      drainSeconds: null,
    },
  };
}

const RUNNING: Finding = {
  cause: 'running',
  because: ['run p95 1500 ms > wait p95 3 ms'],
  evidence: { runP50Ms: 1500, runP95Ms: 1500, waitP95Ms: 3, latencyP95Ms: 1503, sloP95Ms: 1000 },
  recommendation: { text: 'Speed up the webhook handler or its downstream.', targetRunP95Ms: 997 },
};
const RETRYING: Finding = {
  cause: 'retrying',
  because: ['failure rate 30 % exceeds the SLO error rate 5 %'],
  evidence: { retries: 90, retryRate: 0.4, failed: 30, failureRate: 0.3, sloErrorRate: 0.05, topErrors: [] },
  recommendation: { text: 'Fix or isolate the failing dependency.' },
};
const STALLING: Finding = {
  cause: 'stalling',
  because: ['4 attempts stalled'],
  evidence: { stalled: 4, attempts: 100, lockDurationMs: 30_000 },
  recommendation: { text: 'A worker died mid-job or blocks its event loop.' },
};

function queue(name: string, cause: Finding | null, verdict: QueueDiagnosis['verdict'] = 'fail'): QueueDiagnosis {
  return {
    rank: 1,
    queue: name,
    healthy: verdict === 'pass',
    verdict,
    severity: verdict === 'fail' ? 9 : 0.2,
    worstCheck: 'latency_p95_ms',
    checks: [],
    capacity: CAPACITY,
    cause,
    secondary: [],
  };
}

const SETTING: QueueSetting = { concurrency: 1, max: 200, workers: 2 };
const IDLE_CPU: CpuLoad = { host: 'box', hostCores: 2, peakCores: 0.3, meanCores: 0.2, samples: 10 };

describe('planTune', () => {
  it('raises a waiting queue to ⌈c* / live workers⌉ per process, with the reason', () => {
    const plan = planTune({ queues: [queue('webhook', waiting(5))], settings: { webhook: SETTING }, cpu: IDLE_CPU });
    expect(plan.changes).toHaveLength(1);
    const [c] = plan.changes;
    expect(c).toMatchObject({
      action: 'apply',
      queue: 'webhook',
      cause: 'waiting',
      from: 1,
      to: 3,
      recommendedTotal: 5,
      workers: 2,
      cappedAt: null,
    });
    expect(c!.reason).toContain('5 slots in total ÷ 2 worker processes = 3 per process');
    expect(c!.reason).toContain('utilisation ρ = 1.80 ≥ 0.85');
    expect(describeChange(c!)).toBe('webhook 1 → 3 per process');
  });

  it('divides by the live workers, not the diagnosis’ worker count', () => {
    const plan = planTune({ queues: [queue('webhook', waiting(9))], settings: { webhook: { ...SETTING, workers: 3 } }, cpu: null });
    expect(plan.changes[0]).toMatchObject({ to: 3, workers: 3 });
  });

  it('caps at the maximum and says so', () => {
    const plan = planTune({ queues: [queue('webhook', waiting(900))], settings: { webhook: { ...SETTING, max: 200 } }, cpu: IDLE_CPU });
    expect(plan.changes[0]).toMatchObject({ to: 200, recommendedPerProcess: 450, cappedAt: 200 });
    expect(plan.changes[0]!.reason).toContain('capped at WORKER_MAX_CONCURRENCY 200');
  });

  it('never lowers the current value: a recommendation at or below it changes nothing', () => {
    const plan = planTune({ queues: [queue('webhook', waiting(8))], settings: { webhook: { ...SETTING, concurrency: 4 } }, cpu: IDLE_CPU });
    expect(plan.changes).toEqual([]);
    expect(plan.queues[0]).toMatchObject({ action: 'refuse', kind: 'not-higher' });
    expect(plan.queues[0]!.reason).toContain('does not raise the current 4 per process');
  });

  it('refuses a queue already at the maximum', () => {
    const plan = planTune({ queues: [queue('webhook', waiting(900))], settings: { webhook: { ...SETTING, concurrency: 200 } }, cpu: null });
    expect(plan.queues[0]).toMatchObject({ action: 'refuse', kind: 'at-max' });
  });

  it.each([
    ['running', RUNNING, /handler itself is slow/],
    ['retrying', RETRYING, /failures dominate/],
    ['stalling', STALLING, /attempts stall/],
  ] as const)('refuses cause %s, naming why more slots cannot help', (kind, finding, why) => {
    const plan = planTune({ queues: [queue('webhook', finding)], settings: { webhook: SETTING }, cpu: IDLE_CPU });
    expect(plan.changes).toEqual([]);
    expect(plan.queues[0]).toMatchObject({ action: 'refuse', kind, cause: kind });
    expect(plan.queues[0]!.reason).toMatch(why);
    expect(plan.queues[0]!.reason).toContain(finding.recommendation.text);
  });

  it('refuses when the diagnosis has no cause or no number', () => {
    const plan = planTune({
      queues: [queue('payment', null), queue('webhook', waiting(null))],
      settings: { payment: SETTING, webhook: SETTING },
      cpu: IDLE_CPU,
    });
    expect(plan.queues.map((p) => [p.queue, p.action, p.action === 'refuse' ? p.kind : null])).toEqual([
      ['payment', 'refuse', 'no-cause'],
      ['webhook', 'refuse', 'no-number'],
    ]);
  });

  it('refuses when the workers are CPU-bound (peak ≥ 80 % of the host’s cores)', () => {
    const busy: CpuLoad = { host: 'box', hostCores: 2, peakCores: 1.7, meanCores: 1.5, samples: 10 };
    const plan = planTune({ queues: [queue('webhook', waiting(5))], settings: { webhook: SETTING }, cpu: busy });
    expect(plan.queues[0]).toMatchObject({ action: 'refuse', kind: 'cpu-bound' });
    expect(plan.queues[0]!.reason).toContain('peaked at 1.70 of 2 cores on box');
    expect(isCpuBound({ ...busy, peakCores: 1.59 })).toBe(false);
    expect(isCpuBound({ ...busy, peakCores: 1.6 })).toBe(true);
    expect(isCpuBound(null)).toBe(false);
  });

  it('refuses without a setting or without live workers', () => {
    const plan = planTune({
      queues: [queue('payment', waiting(5)), queue('webhook', waiting(5))],
      settings: { webhook: { ...SETTING, workers: 0 } },
      cpu: null,
    });
    expect(plan.queues.map((p) => (p.action === 'refuse' ? p.kind : p.action))).toEqual(['no-setting', 'no-workers']);
  });

  it('plans failing queues only, in the diagnosis order', () => {
    const plan = planTune({
      queues: [
        queue('webhook', waiting(5)),
        queue('payment', RUNNING),
        queue('notification', waiting(50), 'pass'),
        queue('x', null, 'no-data'),
      ],
      settings: { webhook: SETTING, payment: SETTING, notification: SETTING },
      cpu: IDLE_CPU,
    });
    expect(plan.queues.map((p) => [p.queue, p.action])).toEqual([
      ['webhook', 'apply'],
      ['payment', 'refuse'],
    ]);
    expect(plan.changes.map(describeChange)).toEqual(['webhook 1 → 3 per process']);
  });
});

describe('cpuLoad', () => {
  const report = (id: string, host: string, cpu: number, cores = 2): WorkerConcurrencyReport => ({
    id,
    pid: Number(id.split(':')[1]),
    host,
    concurrency: 1,
    cpu,
    cores,
    at: 0,
  });

  it('sums each host’s processes per sample (a process serving several queues once) and keeps peak and mean', () => {
    const load = cpuLoad([
      [report('a:1', 'a', 0.2), report('a:2', 'a', 0.3), report('a:1', 'a', 0.2)],
      [report('a:1', 'a', 0.6), report('a:2', 'a', 0.9)],
    ]);
    expect(load).toEqual({ host: 'a', hostCores: 2, peakCores: 1.5, meanCores: 1, samples: 2 });
  });

  it('picks the host with the largest share of its cores', () => {
    const load = cpuLoad([[report('a:1', 'a', 1.0, 8), report('b:1', 'b', 0.9, 1)]]);
    expect(load).toMatchObject({ host: 'b', peakCores: 0.9, hostCores: 1 });
  });

  it('is null without reports', () => {
    expect(cpuLoad([])).toBeNull();
    expect(cpuLoad([[], []])).toBeNull();
  });
});
