#!/usr/bin/env node
// Entry point: parse the CLI → loadConfig → startS3Bridge (one process) or the cluster primary (workers/primary.ts);
// a cluster worker goes straight to workers/worker.ts. SIGTERM/SIGINT drain and exit, SIGHUP reloads.
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from './config/load.js';
import { ConfigError, isEmbedded, type Config } from './config/schema.js';
import { Router } from './route/router.js';
import { startS3Bridge } from './app.js';
import { createLogger } from './log.js';
import { runPrimary, workerCount } from './workers/primary.js';
import { runWorker } from './workers/worker.js';

/** The version in package.json, beside dist/ (or src/ when run from the sources). */
function packageVersion(): string {
  const file = fileURLToPath(new URL('../package.json', import.meta.url));
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

const USAGE = `usage: s3bridge --config FILE         start the proxy (or set S3BRIDGE_CONFIG)
       s3bridge --check-config FILE   validate FILE and print the route table
       s3bridge --version             print the version`;

interface Cli {
  mode: 'run' | 'check' | 'help' | 'version';
  file?: string;
}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv): Cli {
  let mode: Cli['mode'] = 'run';
  let file = env.S3BRIDGE_CONFIG;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (flag === '--config' || flag === '-c') file = inline ?? argv[++i];
    else if (flag === '--check-config') {
      mode = 'check';
      file = inline ?? argv[++i] ?? file;
    } else if (flag === '--help' || flag === '-h') mode = 'help';
    else if (flag === '--version' || flag === '-v') mode = 'version';
    else throw new Error(`unknown argument: ${arg}`);
  }
  return { mode, file };
}

export function describeConfig(cfg: Config): string {
  const lines = ['backends:'];
  for (const b of cfg.backends)
    lines.push(`  ${b.name}: ${isEmbedded(b) ? `embedded (dir ${b.embedded.dir})` : `${b.endpoint} region ${b.region}, ${b.addressing}-style`}`);
  lines.push('routes (first match wins):');
  for (const r of new Router(cfg.routes).describe()) lines.push(`  ${r}`);
  lines.push(`workers: ${cfg.server.workers === 'auto' ? `auto (${workerCount('auto')} here)` : cfg.server.workers}`);
  lines.push(`clients: ${cfg.clients.map((c) => `${c.accessKeyId}${c.readOnly ? ' (read-only)' : ''} → ${c.buckets.join(',')}`).join('; ')}`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  let cli: Cli;
  try {
    cli = parseArgs(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (cli.mode === 'version') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (cli.mode === 'help') {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (!cli.file) {
    process.stderr.write(`no config file given\n${USAGE}\n`);
    return 2;
  }
  let config: Config;
  try {
    config = loadConfig(cli.file);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${cli.file}: invalid configuration\n${err.problems.map((p) => `  ${p}`).join('\n')}\n`);
      return 1;
    }
    throw err;
  }
  if (cli.mode === 'check') {
    process.stdout.write(`${cli.file}: ok\n${describeConfig(config)}\n`);
    return 0;
  }

  const workers = workerCount(config.server.workers);
  if (workers > 1) {
    await runPrimary(cli.file, config, workers);
    return -1; // keep running
  }

  const log = createLogger(undefined, { access: config.server.accessLog, pretty: process.stdout.isTTY === true });
  const bridge = await startS3Bridge(config, { log });
  log.info('s3bridge listening', { s3: bridge.s3Url, admin: bridge.adminUrl, backends: [...bridge.app.backends.keys()] });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal, inflight: bridge.inflight, graceSeconds: config.server.shutdownGraceSeconds });
    bridge.close().then(
      () => {
        log.info('stopped', {});
        process.exit(0);
      },
      (err) => {
        log.error('shutdown failed', { error: String(err) });
        process.exit(1);
      },
    );
  };
  // SIGHUP: re-read the file; a bad one is refused and the running config stays in force.
  process.on('SIGHUP', () => {
    let next: Config;
    try {
      next = loadConfig(cli.file!);
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems : [(err as Error).message];
      log.error('config reload refused; keeping the running config', { file: cli.file, problems });
      return;
    }
    bridge.reload(next).then(
      (summary) => log.info('config reloaded', { ...summary }),
      (err) => log.error('config reload failed; keeping the running config', { error: (err as Error).message }),
    );
  });
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return -1; // keep running
}

if (cluster.isWorker) runWorker();
else
  main().then(
    (code) => {
      if (code >= 0) process.exit(code);
    },
    (err) => {
      // Startup failures: say what failed without dumping config values (they may hold secrets).
      process.stderr.write(`s3bridge failed to start: ${(err as Error)?.message ?? String(err)}\n`);
      process.exit(1);
    },
  );
