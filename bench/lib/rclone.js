// Benchmark harness: runs `rclone copyto` between two S3 endpoints (the copy scenario's contender without s3bridge),
// with remotes defined in the environment only, and reads rclone's CPU time and peak RSS via /usr/bin/time.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** rclone's version line ("rclone v1.60.1-DEV"), or undefined when it is not installed. */
export function rcloneVersion() {
  try {
    return execFileSync('rclone', ['version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')[0]
      .trim();
  } catch {
    return undefined;
  }
}

/** RCLONE_CONFIG_<NAME>_* variables for an S3 remote at `url` (path style, no config file needed). */
function remoteEnv(name, url, credentials) {
  const p = `RCLONE_CONFIG_${name.toUpperCase()}_`;
  return {
    [`${p}TYPE`]: 's3',
    [`${p}PROVIDER`]: 'Other',
    [`${p}ENDPOINT`]: url,
    [`${p}REGION`]: 'us-east-1',
    [`${p}ACCESS_KEY_ID`]: credentials.accessKeyId,
    [`${p}SECRET_ACCESS_KEY`]: credentials.secretAccessKey,
    [`${p}FORCE_PATH_STYLE`]: 'true',
  };
}

/**
 * rclone copyto src:SRC dst:DST, where src and dst are two remotes on two different endpoints: rclone cannot copy
 * server-side across remotes (no --server-side-across-configs), so it downloads on the client and re-uploads as a
 * multipart upload of partSize parts, `concurrency` at a time. --ignore-checksum: the bench origins' ETags are not
 * the MD5 of their bytes. Returns { code, seconds, cpuSeconds, peakRssMB, stderr }.
 */
export async function rcloneCopy({ srcUrl, dstUrl, src, dst, partSize, concurrency, credentials }) {
  const env = { ...process.env, ...remoteEnv('src', srcUrl, credentials), ...remoteEnv('dst', dstUrl, credentials) };
  for (const k of ['AWS_CA_BUNDLE', 'HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) delete env[k];
  const mib = `${partSize / 1024 / 1024}M`;
  const timeFile = join(tmpdir(), `bench-rclone-time-${process.pid}-${Date.now()}`);
  const args = [
    '-f',
    '%U %S %M',
    '-o',
    timeFile,
    'rclone',
    'copyto',
    `src:${src}`,
    `dst:${dst}`,
    '--config',
    '/dev/null',
    '--s3-chunk-size',
    mib,
    '--s3-upload-cutoff',
    mib,
    '--s3-upload-concurrency',
    String(concurrency),
    '--s3-no-check-bucket',
    '--ignore-checksum',
    '--ignore-times',
    '--retries',
    '1',
    '--low-level-retries',
    '1',
  ];
  const started = process.hrtime.bigint();
  const { code, stderr } = await new Promise((resolve) => {
    execFile('/usr/bin/time', args, { env, maxBuffer: 4 * 1024 * 1024 }, (err, _out, errText) => resolve({ code: err ? (err.code ?? 1) : 0, stderr: errText }));
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  let cpuSeconds = NaN;
  let peakRssMB = NaN;
  if (existsSync(timeFile)) {
    const last = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1) ?? '';
    const [user, sys, maxKb] = last.split(' ').map(Number);
    cpuSeconds = user + sys;
    peakRssMB = maxKb / 1024;
    rmSync(timeFile, { force: true });
  }
  return { code, seconds, cpuSeconds, peakRssMB, stderr };
}
