/**
 * Fuzzing the collector's HTTP routes (issue 10, "Done when"): every route gets NUM_RUNS hostile
 * requests, each broken in at least one way or naming a run that does not exist; only 4xx comes
 * back (401 for a write without its token), the collector stays ready, and no row, stream entry
 * or job appears. The live WebSocket's upgrades and messages: live-ws.fuzz.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCollectorFuzzApp, collectorTargets } from './collector-targets.js';
import { FuzzApp, NUM_RUNS, fuzzConfig, printTally } from './harness.js';

const fuzzed = fuzzConfig({
  // Validation is what is fuzzed here, not the live limits (their own tests cover those).
  COLLECTOR_WS_MAX_SUBSCRIBES_PER_MINUTE: '1000000',
});
const { config } = fuzzed;

const COLLECTOR_TARGETS = collectorTargets(config.namespace);

describe(`fuzz: collector HTTP routes, ${NUM_RUNS} hostile requests per route`, () => {
  let fuzz: FuzzApp;
  beforeAll(async () => {
    fuzz = await buildCollectorFuzzApp(fuzzed);
    await fuzz.takeBaseline();
  });
  afterAll(async () => {
    printTally(`collector, token ${fuzz?.ctx.authEnforced ? 'enforced' : 'NOT enforced'}`);
    await fuzz?.close();
  });

  it('every route the collector registers has a fuzz target', () => {
    expect(fuzz.coverage(COLLECTOR_TARGETS)).toEqual({ untargeted: [], stale: [] });
  });

  for (const target of COLLECTOR_TARGETS) {
    it(`${target.method} ${target.url}: ${NUM_RUNS} hostile requests answer ${target.mode === 'reject' ? '4xx' : '2xx-4xx, never 5xx'}; readyz stays 200; nothing stored`, async () => {
      await fuzz.fuzz(target);
    });
  }

  it('nothing is stored once QuestDB has applied every write and the capture loop has flushed', async () => {
    // A row written during the fuzzing becomes visible only after its WAL commit is applied.
    await new Promise((r) => setTimeout(r, config.collector.flushIntervalMs + 2000));
    await fuzz.expectStoreUnchanged('all routes, after a flush interval and WAL apply');
  });
});
