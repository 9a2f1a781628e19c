// `npm start`: runs the built proxy on config/default.yaml (or S3BRIDGE_CONFIG) and prints how to reach it.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));
const configFile = process.env.S3BRIDGE_CONFIG ?? `${root}config/default.yaml`;

// glibc malloc trims and re-faults memory under streaming load; these keep it (docs/performance.md).
const env = { MALLOC_TRIM_THRESHOLD_: '268435456', MALLOC_TOP_PAD_: '67108864', ...process.env };

const child = spawn(process.execPath, [`${root}dist/main.js`, '--config', configFile], { stdio: 'inherit', env, cwd: root });

try {
  const cfg = parse(readFileSync(configFile, 'utf8'));
  const s3 = `http://${cfg.server?.host ?? '127.0.0.1'}:${cfg.server?.port ?? 8080}`;
  const admin = `http://${cfg.admin?.host ?? '127.0.0.1'}:${cfg.admin?.port ?? 9090}`;
  const demo = (cfg.clients ?? []).find((c) => c.accessKeyId === 'demo');
  const lines = ['', `  s3bridge S3 endpoint: ${s3}`, `  admin endpoint:       ${admin}  (/healthz, /readyz, /metrics)`];
  if (demo) {
    lines.push(
      `  demo credentials:     ${demo.accessKeyId} / ${demo.secretAccessKey}`,
      '',
      '  try it:',
      `    export AWS_ACCESS_KEY_ID=${demo.accessKeyId} AWS_SECRET_ACCESS_KEY=${demo.secretAccessKey} AWS_DEFAULT_REGION=us-east-1`,
      `    aws --endpoint-url ${s3} s3 mb s3://photos`,
      `    aws --endpoint-url ${s3} s3 cp README.md s3://photos/readme.md`,
      `    aws --endpoint-url ${s3} s3 mb s3://archive-photos     # lives on the second backend`,
      `    aws --endpoint-url ${s3} s3 cp s3://photos/readme.md s3://archive-photos/readme.md`,
    );
  }
  process.stderr.write(lines.join('\n') + '\n\n');
} catch {
  // The proxy itself reports config problems.
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
