import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../services/producer/test/helper.js';
import { testConfig } from '../../test/support/env.js';
import { ENDPOINTS, getScenario, peakVus, pickEndpoint, scaleStages, scenarioNames, totalDurationMs, vusAt } from '../scenarios/index.js';

describe('scenarios', () => {
  it('has the documented scenarios with their peak VUs', () => {
    expect(scenarioNames).toEqual(['smoke', 'light', 'medium', 'heavy', 'extreme', 'spike', 'soak']);
    expect(Object.fromEntries(scenarioNames.map((n) => [n, peakVus(getScenario(n))]))).toMatchObject({ light: 100, medium: 250, heavy: 500, extreme: 1000 });
    for (const n of scenarioNames) {
      const mix = getScenario(n).mix;
      expect(mix.payment + mix.notification + mix.webhook).toBeCloseTo(1, 10);
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
  });

  it('--duration and --vus scale a scenario, keeping its shape', () => {
    const s = scaleStages(getScenario('extreme'), { durationMs: 30_000, vus: 200 });
    expect(totalDurationMs(s)).toBe(30_000);
    expect(peakVus(s)).toBe(200);
    expect(vusAt(s, 15_000)).toBe(200);
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
        const res = await app.inject({ method: 'POST', url: endpoint.path, payload: endpoint.body(i) });
        expect(res.statusCode, res.body).toBe(202);
      }
    });
  });
});
