/**
 * infra/docker-compose.yml, checked without a Docker engine (there is none on these machines):
 * - Debian's `docker-compose` (1.29.2) validates it against the Compose Specification
 *   (`config -q`), with the default profile and with `loadtest` and `cluster`;
 * - the YAML itself is compared with the repo: each Node service runs the entry point of the
 *   project's own scripts, sets only variables `parseConfig` knows (and accepts), waits for healthy
 *   Redis and QuestDB; the worker has 5 replicas; k6 runs a script whose imports are all mounted;
 *   the cluster profile matches infra/scripts/cluster-up.sh; every mounted file exists.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, parseConfig } from '@queuescope/contracts';
import { isLoopback } from '../../packages/service-kit/src/run-server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const composeFile = join(root, 'infra/docker-compose.yml');
const composeDir = dirname(composeFile);

/** Valid bearer tokens (config.ts Token pattern) standing in for the ones a deployment sets. */
const ENV = {
  QS_API_TOKEN: 'compose-test-collector-token',
  PRODUCER_API_TOKEN: 'compose-test-producer-token',
  RUN_ID: 'compose-test-run',
};

interface Healthcheck {
  test: string | string[];
}
interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null>;
  volumes?: string[];
  ports?: string[];
  profiles?: string[];
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  healthcheck?: Healthcheck;
}

const raw = readFileSync(composeFile, 'utf8');
// `merge: true`: the file shares blocks with YAML merge keys (`<<: *queuescope-env`), as Compose does.
const compose = parse(raw, { merge: true }) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const services = compose.services;
const NODE_SERVICES = ['collector', 'producer', 'worker'] as const;

/**
 * Compose interpolation of one value, for the variables {@link ENV} sets: `${X:?msg}` and `${X}`
 * take the value (or fail the test), `${X:-d}` the value or d, `$$` is a literal `$`.
 */
function interpolate(value: string, env: Record<string, string | undefined> = ENV): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (match, name?: string, op?: string, arg?: string) => {
    if (match === '$$') return '$';
    const set = env[name!];
    if (op === ':-' || op === '-') return set ?? arg ?? '';
    if (op === ':?' || op === '?') {
      if (set === undefined || set === '') throw new Error(`${name} is required: ${arg}`);
      return set;
    }
    return set ?? '';
  });
}

/** A service's environment after interpolation, every value a string (as the process sees it). */
function envOf(service: Service): Record<string, string> {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(String(v ?? ''))]));
}

/** `command` (or `entrypoint` + `command`) as one argv. */
function argvOf(service: Service): string[] {
  const part = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : v.split(/\s+/));
  return [...part(service.entrypoint), ...part(service.command)];
}

/** Host side of a bind mount (`./x:/y:ro`, relative to infra/), or null for a named volume. */
function hostPathOf(volume: string): string | null {
  const host = volume.split(':')[0]!;
  if (!host.startsWith('.') && !isAbsolute(host)) return null;
  return resolve(composeDir, host);
}

/** `tsx services/x/src/main.ts` in a package.json script → `services/x/src/main.ts`. */
function entryOfScript(script: string): string {
  const match = /^tsx\s+(\S+\.ts)$/.exec(script.trim());
  if (!match) throw new Error(`unexpected script shape: ${script}`);
  return match[1]!;
}

describe('infra/docker-compose.yml, parsed', () => {
  it('is Compose Specification style: no `version:` key, the services and volumes it needs', () => {
    expect(compose).not.toHaveProperty('version');
    expect(Object.keys(services).sort()).toEqual(
      [
        'collector',
        'loadtest',
        'producer',
        'questdb',
        'redis',
        'redis-cluster-init',
        'redis-node-0',
        'redis-node-1',
        'redis-node-2',
        'redis-node-3',
        'redis-node-4',
        'redis-node-5',
        'worker',
      ].sort(),
    );
    for (const volume of Object.values(services).flatMap((s) => s.volumes ?? [])) {
      const host = volume.split(':')[0]!;
      if (hostPathOf(volume) === null) expect(compose.volumes, `named volume ${host} is declared`).toHaveProperty(host);
    }
  });

  it('runs each Node service with the entry point of the project scripts, through the tsx loader', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const workersTs = readFileSync(join(root, 'scripts/workers.ts'), 'utf8');
    // scripts/workers.ts: `new URL('../services/worker/src/main.ts', import.meta.url)`, spawned as `node --import tsx <entry>`.
    const workerUrl = /new URL\('([^']+main\.ts)', import\.meta\.url\)/.exec(workersTs)?.[1];
    expect(workerUrl, 'the worker entry in scripts/workers.ts').toBeDefined();
    const expected = {
      collector: entryOfScript(pkg.scripts.collector!),
      producer: entryOfScript(pkg.scripts.producer!),
      worker: relative(root, fileURLToPath(new URL(workerUrl!, new URL('../../scripts/workers.ts', import.meta.url)))),
    };
    expect(expected).toEqual({
      collector: 'services/collector/src/main.ts',
      producer: 'services/producer/src/main.ts',
      worker: 'services/worker/src/main.ts',
    });
    for (const name of NODE_SERVICES) {
      const service = services[name]!;
      expect(argvOf(service), name).toEqual(['node', '--import', 'tsx', expected[name]]);
      expect(existsSync(join(root, expected[name])), `${expected[name]} exists`).toBe(true);
      expect(service.image, `${name}: one image for the three services`).toBe(services.collector!.image);
      expect(service.build, `${name}: built from the repo`).toEqual({ context: '..', dockerfile: 'infra/Dockerfile' });
    }
    expect(existsSync(join(root, 'infra/Dockerfile'))).toBe(true);
    expect(existsSync(join(root, '.dockerignore')), 'a .dockerignore at the build context (the repo root)').toBe(true);
  });

  it('builds the image as the scripts expect: npm ci, the sources, the dashboard', () => {
    const dockerfile = readFileSync(join(root, 'infra/Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/^RUN npm run build:web$/m);
    // Every workspace manifest is copied before `npm ci`, or `npm ci` fails on the lockfile.
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
    for (const ws of pkg.workspaces) expect(dockerfile, `COPY ${ws}/package.json`).toContain(`COPY ${ws}/package.json ${ws}/`);
  });

  it.each(NODE_SERVICES)('%s sets only variables parseConfig knows, and parseConfig accepts them', (name) => {
    const env = envOf(services[name]!);
    const known = new Set(CONFIG_VARIABLES);
    for (const key of Object.keys(env)) expect(known.has(key), `${name}: ${key} is not in CONFIG_VARIABLES`).toBe(true);
    expect(env).toMatchObject({ REDIS_URL: 'redis://redis:6379', QUESTDB_HTTP: 'questdb:9000', QUESTDB_PG: 'questdb:8812' });
    const config = parseConfig(env);
    expect(config.redisUrl).toBe('redis://redis:6379');
    expect(config.questdb.pg).toMatchObject({ host: 'questdb', port: 8812 });
  });

  it('publishes the producer on 3000 and the collector on 3001, on every address, each with its token', () => {
    const producer = parseConfig(envOf(services.producer!));
    const collector = parseConfig(envOf(services.collector!));
    expect(producer.producer).toMatchObject({ host: '0.0.0.0', port: 3000 });
    expect(collector.collector).toMatchObject({ host: '0.0.0.0', port: 3001 });
    // packages/service-kit/src/run-server.ts refuses a non-loopback address without a token.
    expect(isLoopback(producer.producer.host)).toBe(false);
    expect(producer.auth.producerToken).toBe(ENV.PRODUCER_API_TOKEN);
    expect(collector.auth.collectorToken).toBe(ENV.QS_API_TOKEN);
    expect(services.producer!.ports).toEqual(['3000:3000']);
    expect(services.collector!.ports).toEqual(['3001:3001']);
    // Unset tokens fail the compose command with a message instead of starting a refused service.
    const { QS_API_TOKEN: _c, ...withoutCollectorToken } = ENV;
    expect(() => interpolate(String(services.collector!.environment!.QS_API_TOKEN), withoutCollectorToken)).toThrow(
      /QS_API_TOKEN is required/,
    );
    const { PRODUCER_API_TOKEN: _p, ...withoutProducerToken } = ENV;
    expect(() => interpolate(String(services.producer!.environment!.PRODUCER_API_TOKEN), withoutProducerToken)).toThrow(
      /PRODUCER_API_TOKEN is required/,
    );
  });

  it('runs 5 worker containers, one worker process each', () => {
    expect(services.worker!.deploy?.replicas).toBe(5);
    expect(envOf(services.worker!)).not.toHaveProperty('WORKER_INSTANCES');
    expect(services.worker!.ports, 'replicas cannot share a host port').toBeUndefined();
  });

  it.each(NODE_SERVICES)('%s starts after Redis and QuestDB are healthy, and has a health check', (name) => {
    const service = services[name]!;
    expect(service.depends_on).toMatchObject({ redis: { condition: 'service_healthy' }, questdb: { condition: 'service_healthy' } });
    expect(service.healthcheck?.test, `${name} healthcheck`).toBeDefined();
  });

  it('checks readiness on /readyz of the right port; the worker waits for a healthy producer', () => {
    expect(services.collector!.healthcheck!.test).toContainEqual(expect.stringContaining('http://127.0.0.1:3001/readyz'));
    expect(services.producer!.healthcheck!.test).toContainEqual(expect.stringContaining('http://127.0.0.1:3000/readyz'));
    expect(services.worker!.depends_on).toMatchObject({ producer: { condition: 'service_healthy' } });
  });

  it('runs Redis with infra/redis.conf, listening on the compose network, data in a volume, health-checked', () => {
    const redis = services.redis!;
    expect(redis.image).toBe('redis:7');
    const argv = argvOf(redis);
    expect(argv.slice(0, 2)).toEqual(['redis-server', '/usr/local/etc/redis/redis.conf']);
    expect(argv.join(' ')).toContain('--bind 0.0.0.0 --protected-mode no');
    expect(redis.volumes).toContain('./redis.conf:/usr/local/etc/redis/redis.conf:ro');
    expect(redis.volumes).toContainEqual(expect.stringMatching(/^[a-z-]+:\/data$/));
    expect(JSON.stringify(redis.healthcheck!.test)).toContain('redis-cli ping');
  });

  it('runs QuestDB at the version of start-questdb.sh, with our conf files, a data volume, telemetry off', () => {
    const questdb = services.questdb!;
    const script = readFileSync(join(root, 'infra/scripts/start-questdb.sh'), 'utf8');
    const version = /QUESTDB_VERSION=\$\{QUESTDB_VERSION:-([0-9.]+)\}/.exec(script)?.[1];
    expect(version).toBeDefined();
    expect(readFileSync(join(root, '.env.example'), 'utf8')).toContain(`QUESTDB_VERSION=${version}`);
    expect(questdb.image).toBe(`questdb/questdb:${version}`);
    expect(questdb.volumes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^[a-z-]+:\/var\/lib\/questdb$/),
        './questdb/server.conf:/var/lib/questdb/conf/server.conf:ro',
        './questdb/log.conf:/var/lib/questdb/conf/log.conf:ro',
      ]),
    );
    expect(questdb.environment).toMatchObject({ QDB_TELEMETRY_ENABLED: 'false' });
    const ports = (questdb.ports ?? []).map((p) => p.split(':').slice(-2).join(':'));
    expect(ports).toEqual(expect.arrayContaining(['9000:9000', '8812:8812']));
    expect(JSON.stringify(questdb.healthcheck!.test)).toMatch(/9000[\s\S]*8812/);
  });

  it('every bind-mounted file or directory exists in the repo', () => {
    const mounts = Object.values(services).flatMap((s) => (s.volumes ?? []).map(hostPathOf).filter((p): p is string => p !== null));
    expect(mounts.map((p) => relative(root, p))).toEqual(
      expect.arrayContaining(['infra/redis.conf', 'infra/questdb/server.conf', 'infra/questdb/log.conf', 'loadtest/k6']),
    );
    for (const path of mounts) expect(existsSync(path), `${relative(root, path)} exists`).toBe(true);
  });

  describe('profile loadtest', () => {
    const loadtest = services.loadtest!;
    /** Container path → host path of each bind mount. */
    const mounts = new Map((loadtest.volumes ?? []).map((v) => [v.split(':')[1]!, hostPathOf(v)!]));
    const scriptInContainer = /k6 run (\S+\.ts)/.exec(argvOf(loadtest).join(' '))?.[1];

    /** The host file a container path lands on, through the mount that holds it. */
    function hostFile(containerPath: string): string | undefined {
      for (const [target, host] of mounts) {
        if (containerPath.startsWith(`${target}/`)) return join(host, containerPath.slice(target.length + 1));
      }
      return undefined;
    }

    it('runs k6 from the official image against the producer, with the run id and the token', () => {
      expect(loadtest.profiles).toEqual(['loadtest']);
      expect(loadtest.image).toMatch(/^grafana\/k6:\d+\.\d+\.\d+$/);
      expect(scriptInContainer).toBeDefined();
      const env = envOf(loadtest);
      expect(env).toMatchObject({ BASE_URL: 'http://producer:3000', RUN_ID: ENV.RUN_ID, PRODUCER_API_TOKEN: ENV.PRODUCER_API_TOKEN });
      // Without RUN_ID the container refuses to start the test.
      expect(argvOf(loadtest).join(' ')).toContain('[ -n "$$RUN_ID" ] ||');
      expect(loadtest.depends_on).toMatchObject({ producer: { condition: 'service_healthy' } });
    });

    it('runs the repo script loadtest/k6/run.ts (the one loadtest/src/k6/runner.ts runs)', () => {
      const runner = readFileSync(join(root, 'loadtest/src/k6/runner.ts'), 'utf8');
      expect(runner).toContain("new URL('../../k6/run.ts', import.meta.url)");
      expect(hostFile(scriptInContainer!)).toBe(join(root, 'loadtest/k6/run.ts'));
    });

    it('sets only variables the script reads (k6 options aside)', () => {
      const script = readFileSync(join(root, 'loadtest/k6/run.ts'), 'utf8');
      const read = new Set([...script.matchAll(/__ENV\.([A-Z_]+)/g)].map((m) => m[1]!));
      for (const key of Object.keys(envOf(loadtest))) {
        if (key.startsWith('K6_')) continue;
        expect(read.has(key), `run.ts reads __ENV.${key}`).toBe(true);
      }
    });

    it('mounts every local file the script imports, at the place the import expects', () => {
      const seen = new Set<string>();
      const visit = (containerPath: string): void => {
        if (seen.has(containerPath)) return;
        seen.add(containerPath);
        const host = hostFile(containerPath);
        expect(host, `${containerPath} is inside a mount`).toBeDefined();
        expect(existsSync(host!) && statSync(host!).isFile(), `${relative(root, host!)} exists`).toBe(true);
        for (const m of readFileSync(host!, 'utf8').matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'(\.{1,2}\/[^']+)'/gm)) {
          visit(join(dirname(containerPath), m[1]!));
        }
      };
      visit(scriptInContainer!);
      expect(seen.size, 'run.ts and its local imports').toBeGreaterThan(1);
    });
  });

  describe('profile cluster', () => {
    const nodes = [0, 1, 2, 3, 4, 5].map((i) => ({ i, name: `redis-node-${i}`, port: 7000 + i }));
    const clusterUp = readFileSync(join(root, 'infra/scripts/cluster-up.sh'), 'utf8');

    it('cluster-up.sh uses ports 7000-7005 and a node timeout of 2000 ms (what this profile mirrors)', () => {
      expect(clusterUp).toContain('BASE_PORT=${REDIS_CLUSTER_BASE_PORT:-7000}');
      expect(clusterUp).toContain('NODE_TIMEOUT_MS=${REDIS_CLUSTER_NODE_TIMEOUT_MS:-2000}');
    });

    it.each(nodes)('$name: redis:7 in cluster mode on $port, AOF on, node timeout 2000, healthy on PING', ({ name, port }) => {
      const node = services[name]!;
      expect(node.profiles).toEqual(['cluster']);
      expect(node.image).toBe('redis:7');
      const cmd = argvOf(node).join(' ');
      expect(cmd).toMatch(/^redis-server \/usr\/local\/etc\/redis\/redis\.conf /);
      for (const flag of [`--port ${port}`, '--cluster-enabled yes', '--cluster-node-timeout 2000', '--appendonly yes', '--bind 0.0.0.0']) {
        expect(cmd, name).toContain(flag);
      }
      expect(node.volumes).toContain('./redis.conf:/usr/local/etc/redis/redis.conf:ro');
      expect(node.volumes).toContain(`${name}:/data`);
      expect(JSON.stringify(node.healthcheck!.test)).toContain(`redis-cli -p ${port} ping`);
    });

    it('redis-cluster-init forms 3 masters + 3 replicas once all 6 nodes are healthy', () => {
      const init = services['redis-cluster-init']!;
      expect(init.profiles).toEqual(['cluster']);
      expect(init.depends_on).toEqual(Object.fromEntries(nodes.map((n) => [n.name, { condition: 'service_healthy' }])));
      const script = interpolate(argvOf(init).join(' '));
      expect(script).toMatch(/redis-cli --cluster create \S+ --cluster-replicas 1 --cluster-yes/);
      expect(script).toContain('for i in 0 1 2 3 4 5');
      expect(script).toContain('$((7000 + i))');
      expect(script).toContain('cluster_state:ok');
    });
  });
});

/**
 * Debian's docker-compose: found on PATH, else installed with apt when we are root (Debian/Ubuntu
 * machines here), else null with the reason.
 */
function ensureDockerCompose(): { ok: true } | { ok: false; reason: string } {
  const version = (): string | null => {
    const r = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : null;
  };
  if (version()) return { ok: true };
  if (process.getuid?.() !== 0)
    return { ok: false, reason: 'docker-compose is not installed and we are not root (apt-get install -y docker-compose)' };
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0)
    return { ok: false, reason: 'docker-compose is missing and there is no apt-get' };
  const install = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'docker-compose'], {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: 600_000,
  });
  if (install.status !== 0)
    return {
      ok: false,
      reason: `apt-get install docker-compose failed: ${(install.stderr || install.stdout).trim().split('\n').slice(-3).join(' | ')}`,
    };
  return version() ? { ok: true } : { ok: false, reason: 'docker-compose installed but does not run' };
}

describe('infra/docker-compose.yml, validated by docker-compose (Compose Specification)', () => {
  let compose: ReturnType<typeof ensureDockerCompose> = { ok: false, reason: 'not checked yet' };
  beforeAll(() => {
    compose = ensureDockerCompose();
  }, 660_000);

  /** `docker-compose -f infra/docker-compose.yml <args>` with the tokens (and RUN_ID) set, from the repo root. */
  function run(args: string[], env: Record<string, string> = ENV): { status: number | null; stdout: string; stderr: string } {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !(k in ENV)));
    const r = spawnSync('docker-compose', ['-f', composeFile, ...args], { cwd: root, encoding: 'utf8', env: { ...clean, ...env } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it.for([
    ['the default profile', []],
    ['the loadtest and cluster profiles', ['--profile', 'loadtest', '--profile', 'cluster']],
  ] as const)('config -q passes with %s', ([, profiles], ctx) => {
    if (!compose.ok) return ctx.skip(compose.reason);
    const r = run([...profiles, 'config', '-q']);
    expect(r.stderr.trim(), 'docker-compose config -q').toBe('');
    expect(r.status).toBe(0);
  });

  it('understands deploy.replicas, profiles and depends_on conditions (they survive `config`)', (ctx) => {
    if (!compose.ok) return ctx.skip(compose.reason);
    const r = run(['--profile', 'loadtest', '--profile', 'cluster', 'config']);
    expect(r.status, r.stderr).toBe(0);
    const resolved = parse(r.stdout) as { services: Record<string, Service> };
    expect(resolved.services.worker!.deploy?.replicas).toBe(5);
    expect(resolved.services.loadtest!.profiles).toEqual(['loadtest']);
    expect(resolved.services['redis-node-0']!.profiles).toEqual(['cluster']);
    expect(resolved.services.worker!.depends_on).toMatchObject({
      redis: { condition: 'service_healthy' },
      questdb: { condition: 'service_healthy' },
      producer: { condition: 'service_healthy' },
    });
    expect(resolved.services.collector!.environment).toMatchObject({ QS_API_TOKEN: ENV.QS_API_TOKEN, REDIS_URL: 'redis://redis:6379' });
  });

  it('refuses to render without the tokens, naming the variable', (ctx) => {
    if (!compose.ok) return ctx.skip(compose.reason);
    const r = run(['config', '-q'], { RUN_ID: ENV.RUN_ID });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/QS_API_TOKEN|PRODUCER_API_TOKEN/);
  });

  it('does not need RUN_ID for a plain `up` (the loadtest service checks it when it runs)', (ctx) => {
    if (!compose.ok) return ctx.skip(compose.reason);
    const { RUN_ID: _r, ...withoutRunId } = ENV;
    const r = run(['config', '-q'], withoutRunId);
    expect(r.stderr.trim()).toBe('');
    expect(r.status).toBe(0);
  });
});
