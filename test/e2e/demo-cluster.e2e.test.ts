/**
 * Issue 9, point 2: `npm run demo -- --cluster` brings up the local Redis Cluster itself, runs the
 * stack on it (`npm run stack` with REDIS_CLUSTER_NODES), runs a load test, prints the result and
 * leaves the dashboard up; Ctrl-C stops everything it started, the cluster included when it started
 * it. Real processes end to end; the queues' keys are read back from the cluster's own masters.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { QUEUE_NAMES, queueKeys, type RunPage } from '@queuescope/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_PORTS, masterOfKey, nodeConnection, useCluster } from '../support/cluster.js';
import { testEnv } from '../support/env.js';
import { freePort, waitFor } from '../support/processes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const clusterRunning = (): boolean => {
  const pidFile = `${ROOT}.data/run/cluster-${CLUSTER_PORTS[0]}.pid`;
  if (!existsSync(pidFile)) return false;
  try {
    process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm run demo -- --cluster', () => {
  let demo: ChildProcess;
  let out = '';
  let exited: Promise<number | null>;
  let env: Record<string, string>;
  let collectorUrl: string;
  const clusterBefore = clusterRunning();

  beforeAll(async () => {
    const [producerPort, collectorPort] = [await freePort(), await freePort()];
    env = testEnv({
      PRODUCER_PORT: String(producerPort),
      COLLECTOR_PORT: String(collectorPort),
      WORKER_INSTANCES: '2',
      QUEUE_PAYMENT_LATENCY: 'fixed:5',
      QUEUE_NOTIFICATION_LATENCY: 'fixed:5',
      QUEUE_WEBHOOK_LATENCY: 'fixed:5',
    });
    delete env.REDIS_CLUSTER_NODES;
    collectorUrl = `http://127.0.0.1:${collectorPort}`;
    demo = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', 'smoke', '--cluster', '--duration', '8s', '--vus', '4'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const s of [demo.stdout!, demo.stderr!]) s.on('data', (d: Buffer) => (out += d.toString()));
    exited = new Promise((resolve) => demo.on('exit', (code) => resolve(code)));
  });

  afterAll(async () => {
    if (demo && demo.exitCode === null && demo.signalCode === null) {
      demo.kill('SIGINT');
      await exited;
    }
    // Leave the cluster as found: the other cluster tests start it themselves when it is down.
    if (clusterBefore) useCluster();
  });

  it('starts the cluster, runs the load test on it, prints the summary and keeps the dashboard up', async () => {
    await waitFor(
      `demo output "The stack keeps running"; so far:\n${out.slice(-3000)}`,
      () => {
        if (demo.exitCode !== null) throw new Error(`demo exited (${demo.exitCode}):\n${out.slice(-3000)}`);
        return out.includes('The stack keeps running');
      },
      240_000,
      250,
    );
    expect(out).toContain('starting the local Redis Cluster');
    expect(out).toContain('REDIS_CLUSTER_NODES=127.0.0.1:7000,');
    expect(out).toMatch(/Every queue met its SLO|missed its SLO/);
    // The dashboard is up, and the run it shows is the demo's, with jobs on every queue.
    expect((await fetch(`${collectorUrl}/`)).status).toBe(200);
    const { runs: items } = (await (await fetch(`${collectorUrl}/api/v1/runs`)).json()) as RunPage;
    const run = items.find((r) => r.name === 'demo smoke (cluster)');
    expect(run, JSON.stringify(items.map((r) => r.name))).toBeDefined();
    expect(run!.jobs).toBeGreaterThan(0);
    // The queues live on the cluster: each events stream is on the master that owns its slot.
    for (const q of QUEUE_NAMES) {
      const key = queueKeys(env.QS_NAMESPACE!, q).events;
      const { master } = await masterOfKey(key);
      const node = nodeConnection(Number(master.split(':')[1]));
      try {
        expect(await node.xlen(key), `${key} on ${master}`).toBeGreaterThan(0);
      } finally {
        node.disconnect();
      }
    }
  });

  it('Ctrl-C stops the stack, and the cluster when the demo started it', async () => {
    demo.kill('SIGINT');
    expect(await exited).toBe(0);
    await waitFor(
      'the collector stopped',
      async () =>
        !(await fetch(`${collectorUrl}/healthz`).then(
          () => true,
          () => false,
        )),
      30_000,
    );
    expect(clusterRunning()).toBe(clusterBefore);
  });
});
