/**
 * `npm run dead-letters`: list what the capture could not store (rows QuestDB refused, ingest
 * entries that do not decode), with the reason, for the streams of this configuration
 * (QS_NAMESPACE, COLLECTOR_ATTACH, REDIS_URL: the collector's own environment).
 * `npm run dead-letters -- --replay [--stream <key>]` puts them back (services/collector/src/capture/
 * dead-letters.ts): each entry is re-appended to its stream, or to the ingest stream, and removed
 * from its dead-letter stream only after that succeeded. Exits 1 when an entry could not be replayed.
 */
import { deadLetterKey, ingestStream, parseConfig } from '@queuescope/contracts';
import { Command, InvalidArgumentError } from 'commander';
import { createRedis } from '@queuescope/service-kit';
import { Redis } from 'ioredis';
import { listDeadLetters, MAX_LIST, replayDeadLetters } from '../services/collector/src/capture/dead-letters.js';
import { discoverSources, fixedSources } from '../services/collector/src/capture/discovery.js';

const program = new Command('dead-letters')
  .description('list (default) or replay the capture dead letters of this configuration')
  .option('--replay', 're-append every dead letter to its stream, then remove it from the dead-letter stream', false)
  .option('--stream <key>', 'only this captured stream (or its dead-letter stream, `<key>:dead`)')
  .option(
    '--limit <n>',
    `entries to list (1..${MAX_LIST})`,
    (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > MAX_LIST) throw new InvalidArgumentError(`must be an integer from 1 to ${MAX_LIST}`);
      return n;
    },
    100,
  )
  .parse();
const opts = program.opts<{ replay: boolean; stream?: string; limit: number }>();

const config = parseConfig(process.env);
// A one-shot command: one try per command. On a Cluster the client must follow redirections and
// failovers, so it keeps the collector's reconnects (REDIS_CLUSTER_NODES, packages/service-kit/src/redis.ts).
const redis =
  config.redisClusterNodes.length > 0
    ? createRedis(config, 'collector', { maxRetriesPerRequest: 1, connectTimeout: 5000 })
    : new Redis(config.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 5000, retryStrategy: () => null });
redis.on('error', () => undefined);

try {
  const specs = [...fixedSources(config), ...(await discoverSources(redis, config))];
  let streams = [...new Set(specs.map((s) => s.streamKey))];
  if (opts.stream !== undefined) {
    const wanted = opts.stream.endsWith(':dead') ? opts.stream.slice(0, -':dead'.length) : opts.stream;
    streams = streams.filter((s) => s === wanted);
    if (streams.length === 0) throw new Error(`--stream ${opts.stream} is not a stream of namespace ${config.namespace}`);
  }
  if (opts.replay) {
    const ingest = ingestStream(config.namespace);
    const result = await replayDeadLetters(redis, streams, ingest, (letter, target) =>
      console.log(`replayed ${deadLetterKey(letter.stream)} ${letter.id} (${letter.kind}) → ${target}`),
    );
    for (const f of result.failed) console.error(`not replayed ${deadLetterKey(f.stream)} ${f.id}: ${f.error}`);
    console.log(`${result.replayed} replayed, ${result.failed.length} left in place`);
    process.exitCode = result.failed.length > 0 ? 1 : 0;
  } else {
    const page = await listDeadLetters(redis, streams, opts.limit);
    for (const s of page.streams) if (s.deadLetters > 0) console.log(`${deadLetterKey(s.stream)}: ${s.deadLetters}`);
    for (const e of page.entries) {
      const what = e.kind === 'refused-row' ? JSON.stringify(e.event) : `entry ${e.sourceId} ${JSON.stringify(e.fields)}`;
      console.log(`${new Date(e.at).toISOString()} ${deadLetterKey(e.stream)} ${e.id} ${e.kind}: ${e.reason}\n  ${what.slice(0, 500)}`);
    }
    console.log(
      `${page.total} dead letter${page.total === 1 ? '' : 's'}${page.entries.length < page.total ? ` (${page.entries.length} listed)` : ''}`,
    );
  }
} catch (err) {
  console.error(`dead-letters: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 2;
} finally {
  redis.disconnect();
}
