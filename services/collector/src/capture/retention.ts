/**
 * Seconds of history BullMQ's stream should hold at the observed rate: less, and a collector pause
 * (a restart, a lease takeover, a QuestDB outage) can let BullMQ trim entries nobody read.
 */
export const MIN_HISTORY_S = 30;

/** Why a stream of `maxLenEvents` entries may lose events at `entriesPerSec`, or undefined when it holds enough. */
export function retentionWarning(maxLenEvents: number | null, entriesPerSec: number): string | undefined {
  if (maxLenEvents === null || entriesPerSec <= 0 || maxLenEvents >= entriesPerSec * MIN_HISTORY_S) return undefined;
  return `maxLenEvents ${maxLenEvents} holds ${(maxLenEvents / entriesPerSec).toFixed(1)} s at ${Math.round(entriesPerSec)} entries/s (< ${MIN_HISTORY_S} s): raise streams.events.maxLen (EVENTS_MAX_LEN)`;
}
