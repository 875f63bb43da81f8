import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Before any test: make sure Redis and QuestDB answer, starting them from the machine when they
 * do not (infra/scripts/services-up.sh uses REDIS_URL / QUESTDB_* when those answer).
 */
export default function setup(): void {
  const script = fileURLToPath(new URL('../infra/scripts/services-up.sh', import.meta.url));
  execFileSync('bash', [script], { stdio: ['ignore', 'ignore', 'inherit'] });
}
