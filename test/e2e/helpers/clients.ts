// End-to-end test helper: finds the real S3 client programs and builds the environment and config files each one reads.
import { execFileSync } from 'node:child_process';
import { realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isExecutable, whichAll } from './run.js';

export const IN_CI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false' && process.env.CI !== '0';

export interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface FoundClient {
  name: string;
  path: string | undefined;
  version: string;
  /** Skip the block: the client is missing and we are not in CI (CI installs every client and must never skip). */
  skip: boolean;
  /** Throws a clear error when the client is missing; call it in beforeAll so a CI run without the client fails. */
  require(): string;
}

function versionOf(path: string, args: string[]): string {
  try {
    return (
      execFileSync(path, args, { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] })
        .trim()
        .split('\n')[0] ?? ''
    );
  } catch {
    return '';
  }
}

function found(name: string, path: string | undefined, version: string, hint: string): FoundClient {
  return {
    name,
    path,
    version,
    skip: path === undefined && !IN_CI,
    require() {
      if (path === undefined) throw new Error(`${name} is not installed (${hint}); end-to-end tests need it`);
      return path;
    },
  };
}

const DEBIAN_AWS = '/usr/bin/aws';

function realpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** A pyenv shim costs ~0.3 s of bash per call; the interpreter's own script is the same program without it. */
function unshim(path: string): string {
  if (!path.includes('/shims/')) return path;
  try {
    const real = execFileSync('pyenv', ['which', 'aws'], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return real && isExecutable(real) ? real : path;
  } catch {
    return path;
  }
}

/** The botocore-1.x `aws` (pyenv), i.e. the first `aws` on PATH that is not the Debian awscli v2. */
export function findPyenvAws(): FoundClient {
  const debian = realpath(DEBIAN_AWS);
  for (const onPath of whichAll('aws')) {
    if (realpath(onPath) === debian) continue;
    const candidate = unshim(onPath);
    const version = versionOf(candidate, ['--version']);
    if (/^aws-cli\/1\..*botocore\/1\.\d+/.test(version)) return found('aws (botocore)', candidate, version, 'pyenv awscli v1');
  }
  return found('aws (botocore)', undefined, '', 'pyenv awscli v1 with botocore 1.4x');
}

export function findDebianAws(): FoundClient {
  const path = isExecutable(DEBIAN_AWS) ? DEBIAN_AWS : undefined;
  const version = path ? versionOf(path, ['--version']) : '';
  return found('/usr/bin/aws (awscli v2)', path && /^aws-cli\/2\./.test(version) ? path : undefined, version, 'Debian package awscli');
}

export function findRclone(): FoundClient {
  const path = whichAll('rclone')[0];
  return found('rclone', path, path ? versionOf(path, ['version']) : '', 'Debian package rclone');
}

export function findS3cmd(): FoundClient {
  const path = whichAll('s3cmd')[0];
  return found('s3cmd', path, path ? versionOf(path, ['--version']) : '', 'Debian package s3cmd');
}

/** The inherited environment without anything that would point a client at other credentials, profiles or CAs. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(AWS_|RCLONE_|S3CMD)/i.test(k)) continue;
    env[k] = v;
  }
  return env;
}

/** An AWS CLI config file: path-style addressing plus any `s3 =` settings (e.g. multipart_threshold). */
export function writeAwsConfig(dir: string, s3: Record<string, string> = {}): string {
  const file = join(dir, `aws-config-${Object.keys(s3).length}-${Math.random().toString(36).slice(2)}`);
  const lines = ['[default]', 'region = us-east-1', 's3 =', '  addressing_style = path', ...Object.entries(s3).map(([k, v]) => `  ${k} = ${v}`)];
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** Environment for either `aws`: our keys only, a given config file, and the CA bundle when the bridge speaks https. */
export function awsEnv(creds: Creds, configFile: string, caBundle?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...cleanEnv(),
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: configFile,
    AWS_SHARED_CREDENTIALS_FILE: `${configFile}-no-credentials`,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
    AWS_MAX_ATTEMPTS: '1',
  };
  if (caBundle) env.AWS_CA_BUNDLE = caBundle;
  return env;
}

/** rclone configured through the environment only (remote `remote`); AWS_CA_BUNDLE stays unset, rclone 1.60 fails with it. */
export function rcloneEnv(creds: Creds, endpoint: string, configFile: string, remote = 'remote'): NodeJS.ProcessEnv {
  const p = `RCLONE_CONFIG_${remote.toUpperCase()}_`;
  writeFileSync(configFile, '');
  return {
    ...cleanEnv(),
    RCLONE_CONFIG: configFile,
    [`${p}TYPE`]: 's3',
    [`${p}PROVIDER`]: 'Other',
    [`${p}ENDPOINT`]: endpoint,
    [`${p}ACCESS_KEY_ID`]: creds.accessKeyId,
    [`${p}SECRET_ACCESS_KEY`]: creds.secretAccessKey,
    [`${p}REGION`]: 'us-east-1',
    [`${p}FORCE_PATH_STYLE`]: 'true',
  };
}

/** An s3cmd config file for a plain-http, path-style, SigV4 endpoint. */
export function writeS3cmdConfig(file: string, creds: Creds, endpoint: string): string {
  const host = new URL(endpoint).host;
  writeFileSync(
    file,
    [
      '[default]',
      `access_key = ${creds.accessKeyId}`,
      `secret_key = ${creds.secretAccessKey}`,
      `host_base = ${host}`,
      `host_bucket = ${host}`,
      'bucket_location = us-east-1',
      'use_https = False',
      'signature_v2 = False',
      'check_ssl_certificate = True',
      'progress_meter = False',
      '',
    ].join('\n'),
  );
  return file;
}
