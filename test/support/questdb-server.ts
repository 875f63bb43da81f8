import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, signalAndWait, waitFor } from './processes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The project's QuestDB settings, as infra/scripts/start-questdb.sh uses them. */
export const SERVER_CONF = join(ROOT, 'infra', 'questdb', 'server.conf');

/**
 * The jar infra/scripts/start-questdb.sh runs: that script fetches it into .cache/questdb with
 * Maven when it is missing (a QuestDB already answering here means it may never have been fetched).
 */
function questdbJar(): string {
  const run = spawnSync('bash', [join(ROOT, 'infra', 'scripts', 'start-questdb.sh'), '--jar-only'], { encoding: 'utf8' });
  const jar = run.stdout.trim().split('\n').at(-1) ?? '';
  if (run.status !== 0 || !existsSync(jar))
    throw new Error(`no QuestDB jar (start-questdb.sh --jar-only exited ${run.status}): ${run.stderr.slice(-1500)}`);
  return jar;
}

/** Major version in `java -version` output (`openjdk version "25.0.1"` → 25, `"1.8.0"` → 8), or 0. */
function javaMajorOf(text: string): number {
  const m = /version "(?:1\.)?(\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

/** The newest JDK on the machine (JAVA_HOME first among equals), as start-questdb.sh picks it. */
function newestJava(): { bin: string; major: number } {
  const candidates = [
    ...(process.env.JAVA_HOME ? [join(process.env.JAVA_HOME, 'bin', 'java')] : []),
    ...(existsSync('/usr/lib/jvm') ? readdirSync('/usr/lib/jvm').map((d) => join('/usr/lib/jvm', d, 'bin', 'java')) : []),
  ];
  let best = { bin: '', major: 0 };
  for (const bin of candidates) {
    if (!existsSync(bin)) continue;
    // `java -version` prints on stderr.
    const run = spawnSync(bin, ['-version'], { encoding: 'utf8' });
    const out = `${run.stdout ?? ''}${run.stderr ?? ''}`;
    const major = javaMajorOf(out);
    if (major > best.major) best = { bin, major };
  }
  if (best.major < 17)
    throw new Error(
      `QuestDB needs Java 17+; found ${best.bin ? `Java ${best.major} at ${best.bin}` : 'no JDK under /usr/lib/jvm or JAVA_HOME'}`,
    );
  return best;
}

/**
 * A private QuestDB (the cached jar, a temp data dir, free HTTP and PGWire ports) that a test may
 * SIGKILL and restart on the same ports and data, the way infra/scripts/start-questdb.sh runs one.
 * Never the shared QuestDB: killing that one would break every other test running.
 */
export class PrivateQuestdb {
  private child: ChildProcess | undefined;
  private output = '';

  private constructor(
    readonly httpPort: number,
    readonly pgPort: number,
    readonly dir: string,
  ) {}

  /**
   * `conf`: the server.conf to run with — the project's own (infra/questdb/server.conf, default),
   * another file, or null for QuestDB's built-in defaults.
   */
  static async start(opts: { conf?: string | null } = {}): Promise<PrivateQuestdb> {
    const server = new PrivateQuestdb(await freePort(), await freePort(), mkdtempSync(join(tmpdir(), 'qs-questdb-')));
    const conf = opts.conf === undefined ? SERVER_CONF : opts.conf;
    if (conf !== null) {
      mkdirSync(join(server.dir, 'conf'), { recursive: true });
      copyFileSync(conf, join(server.dir, 'conf', 'server.conf'));
      // Its log settings travel with it: a log.conf next to the server.conf is used too.
      const logConf = join(dirname(conf), 'log.conf');
      if (existsSync(logConf)) copyFileSync(logConf, join(server.dir, 'conf', 'log.conf'));
    }
    await server.start();
    return server;
  }

  /** `host:port` of the HTTP server (QUESTDB_HTTP). */
  get http(): string {
    return `127.0.0.1:${this.httpPort}`;
  }

  /** `host:port` of PGWire (QUESTDB_PG). */
  get pg(): string {
    return `127.0.0.1:${this.pgPort}`;
  }

  /** What QuestDB printed, for failure messages. */
  log(): string {
    return this.output.slice(-4000);
  }

  /** The java process id while it runs (for CPU measurements). */
  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }

  /** Start (or restart, on the same ports and data) and wait until it answers SQL over HTTP. */
  async start(): Promise<void> {
    const java = newestJava();
    mkdirSync(join(this.dir, 'tmp'), { recursive: true });
    const flags = [
      '-Xms128m',
      '-Xmx1g',
      '-XX:+UseParallelGC',
      `-Djava.io.tmpdir=${join(this.dir, 'tmp')}`,
      ...(java.major >= 24 ? ['--sun-misc-unsafe-memory-access=allow'] : []),
      '--enable-native-access=io.questdb',
      '--add-opens=java.base/java.lang=io.questdb',
      '--add-opens=java.base/java.lang.reflect=io.questdb',
      '--add-opens=java.base/java.nio=io.questdb',
      '--add-opens=java.base/java.time.zone=io.questdb',
      '--add-exports=java.base/jdk.internal.vm=io.questdb',
      '-p',
      questdbJar(),
      '-m',
      'io.questdb/io.questdb.ServerMain',
      '-d',
      this.dir,
    ];
    const child = spawn(java.bin, flags, {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        QDB_TELEMETRY_ENABLED: 'false',
        QDB_HTTP_NET_BIND_TO: this.http,
        QDB_PG_NET_BIND_TO: this.pg,
        QDB_LINE_TCP_ENABLED: 'false',
        QDB_HTTP_MIN_ENABLED: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    // Never outlive the test process, even when it dies without running its afterAll.
    const reap = (): void => void child.kill('SIGKILL');
    process.once('exit', reap);
    child.once('exit', () => process.off('exit', reap));
    try {
      await waitFor(
        `private QuestDB on ${this.http}`,
        async () => {
          if (child.exitCode !== null) throw new Error(`private QuestDB exited with ${child.exitCode} during startup`);
          return this.answers();
        },
        90_000,
        250,
      );
    } catch (err) {
      throw new Error(`${err instanceof Error ? err.message : String(err)}; its output:\n${this.log()}`, { cause: err });
    }
  }

  /** Whether `SELECT 1` answers over HTTP now. */
  async answers(): Promise<boolean> {
    try {
      const res = await fetch(`http://${this.http}/exec?query=${encodeURIComponent('SELECT 1')}`, { signal: AbortSignal.timeout(2000) });
      return res.ok;
    } catch {
      return false;
    }
  }

  /** A crash: SIGKILL, no shutdown work. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Stop it and delete its data. */
  async destroy(): Promise<void> {
    await this.signal('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private signal(signal: NodeJS.Signals): Promise<void> {
    return signalAndWait(this.child, signal);
  }
}
