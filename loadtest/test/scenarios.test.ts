import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../services/producer/test/helper.js';
import { testConfig } from '../../test/support/env.js';
import {
  durationMs,
  ENDPOINTS,
  getScenario,
  peakVus,
  pickEndpoint,
  scaleStages,
  scenarioNames,
  totalDurationMs,
  vusAt,
} from '../scenarios/index.js';

describe('scenarios', () => {
  it('has the documented scenarios: peak VUs, total duration, a mix summing to 1', () => {
    expect(scenarioNames).toEqual(['smoke', 'light', 'medium', 'heavy', 'extreme', 'spike', 'soak']);
    const shape = Object.fromEntries(scenarioNames.map((n) => [n, [peakVus(getScenario(n)), totalDurationMs(getScenario(n)) / 1000]]));
    expect(shape).toEqual({
      smoke: [5, 20],
      light: [100, 70],
      medium: [250, 90],
      heavy: [500, 135],
      extreme: [1000, 80],
      spike: [800, 70],
      soak: [150, 1800],
    });
    for (const n of scenarioNames) {
      const s = getScenario(n);
      expect(s.name).toBe(n);
      expect(s.mix.payment + s.mix.notification + s.mix.webhook).toBeCloseTo(1, 10);
      expect(s.thinkTimeMs.min).toBeLessThanOrEqual(s.thinkTimeMs.max);
    }
    expect(() => getScenario('nope')).toThrow(/unknown scenario 'nope'/);
  });

  it('ramps VUs linearly between stage targets, like k6 ramping-vus', () => {
    const s = getScenario('extreme');
    expect(vusAt(s, 0)).toBe(0);
    expect(vusAt(s, 5_000)).toBe(500);
    expect(vusAt(s, 10_000)).toBe(1000);
    expect(vusAt(s, 40_000)).toBe(1000);
    expect(vusAt(s, 75_000)).toBe(500);
    expect(vusAt(s, totalDurationMs(s) + 1)).toBe(0);
    const spike = getScenario('spike');
    expect([0, 10_000, 22_500, 25_000, 47_500, 60_000].map((t) => vusAt(spike, t))).toEqual([10, 10, 405, 800, 405, 10]);
  });

  it('reads k6 durations, compound ones included', () => {
    expect(['500ms', '30s', '2m', '1h', '1m30s', '1.5s'].map(durationMs)).toEqual([500, 30_000, 120_000, 3_600_000, 90_000, 1500]);
    expect(() => durationMs('30')).toThrow(/invalid stage duration '30'/);
  });

  it('--duration and --vus scale a scenario, keeping its shape', () => {
    const s = scaleStages(getScenario('extreme'), { durationMs: 30_000, vus: 200 });
    expect(totalDurationMs(s)).toBe(30_000);
    expect(peakVus(s)).toBe(200);
    expect(vusAt(s, 15_000)).toBe(200);
    expect(vusAt(s, 30_000 / 16)).toBe(100);
    // Proportions that do not divide evenly still add up to exactly the asked total.
    const spike = scaleStages(getScenario('spike'), { durationMs: 7_001 });
    expect(totalDurationMs(spike)).toBe(7_001);
    expect(peakVus(spike)).toBe(800);
    expect(spike.startVUs).toBe(10);
    const fewer = scaleStages(getScenario('spike'), { vus: 80 });
    expect([fewer.startVUs, ...fewer.stages.map((st) => st.target)]).toEqual([1, 1, 80, 80, 1, 1]);
    expect(totalDurationMs(fewer)).toBe(70_000);
    expect(() => scaleStages(getScenario('smoke'), { vus: Number('x') })).toThrow(/vus must be a positive number/);
  });

  it('picks endpoints by the mix', () => {
    const mix = getScenario('smoke').mix;
    expect(pickEndpoint(mix, 0)).toBe('payment');
    expect(pickEndpoint(mix, 0.6)).toBe('notification');
    expect(pickEndpoint(mix, 0.95)).toBe('webhook');
  });

  describe('request bodies', () => {
    let app: FastifyInstance;
    beforeAll(async () => {
      app = await build(testConfig().config);
    });
    afterAll(async () => {
      await app.close();
    });
    it.each(Object.entries(ENDPOINTS))('%s bodies pass the producer validation (202)', async (_name, endpoint) => {
      for (const i of [0, 1, 2, 999]) {
        const res = await app.inject({
          method: 'POST',
          url: endpoint.path,
          headers: { 'x-run-id': 'scenario-bodies' },
          payload: endpoint.body(i),
        });
        expect(res.statusCode, res.body).toBe(202);
      }
    });
  });
});
