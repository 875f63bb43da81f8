import { startWorkers } from '../../../services/worker/src/worker.js';
import { superviseAll } from '../../../scripts/lib/processes.js';
export const x = [startWorkers, superviseAll];
