import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const script = (name: string): string => fileURLToPath(new URL(`../infra/scripts/${name}`, import.meta.url));
const clusterPidfile = fileURLToPath(new URL('../.data/run/cluster-7000.pid', import.meta.url));

/**
 * Before any test: make sure Redis and QuestDB answer, starting them from the machine when they
 * do not (infra/scripts/services-up.sh uses REDIS_URL / QUESTDB_* when those answer), and the local
 * Redis Cluster the cluster variants of the pipeline and fault tests run on (cluster-up.sh is
 * idempotent). After the last test, the cluster is stopped if this setup started it.
 */
/** Whether the first cluster node that cluster-up.sh records runs now. */
function clusterRuns(): boolean {
  try {
    process.kill(Number(readFileSync(clusterPidfile, 'utf8').trim()), 0);
    return true;
  } catch {
    return false;
  }
}

export default function setup(): () => void {
  execFileSync('bash', [script('services-up.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const clusterBefore = clusterRuns();
  execFileSync('bash', [script('cluster-up.sh')], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 90_000 });
  return () => {
    if (!clusterBefore) execFileSync('bash', [script('cluster-down.sh')], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 60_000 });
  };
}
