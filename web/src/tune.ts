/**
 * The tune round a run belongs to, as `loadtest --tune` stores it in the run's free-form config:
 * `tune: { round: 1 }` for the first run, `tune: { round: N, previousRunId, changes: [...] }` for
 * each re-run (TuneRoundSchema in packages/contracts). The config is free-form JSON, so it is read
 * defensively: anything else is no round.
 */
import type { TuneRound } from '@queuescope/contracts';

/** A tune round as read here: `previousRunId` null in round 1, `changes` [] when none. */
export type ReadTuneRound = Required<Pick<TuneRound, 'round' | 'changes'>> & { previousRunId: string | null };

/** The run's tune round from its config, or null when it was not a `--tune` run. */
export function readTune(config: Record<string, unknown> | null | undefined): ReadTuneRound | null {
  const tune = config?.['tune'];
  if (typeof tune !== 'object' || tune === null || Array.isArray(tune)) return null;
  const { round, previousRunId, changes } = tune as Record<string, unknown>;
  if (typeof round !== 'number' || !Number.isInteger(round) || round < 1) return null;
  return {
    round,
    previousRunId: typeof previousRunId === 'string' && previousRunId !== '' ? previousRunId : null,
    changes: Array.isArray(changes) ? changes.filter((c): c is string => typeof c === 'string') : [],
  };
}
