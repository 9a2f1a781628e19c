// End-to-end test helper: finds a python3 with boto3 (pyenv's, as CI has it) and runs the scripts in test/e2e/py with JSON in and JSON out.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanEnv } from './clients.js';
import { isExecutable, runOk, whichAll } from './run.js';

export interface Python {
  path: string;
  /** boto3 and botocore versions, e.g. "boto3 1.43.11 / botocore 1.43.11". */
  version: string;
  /** Whether the `requests` package is importable (the POST tests then use it as browsers' stand-in). */
  requests: boolean;
}

let cached: Python | undefined | null = null;

/** A pyenv shim costs ~0.3 s of bash per call: use the interpreter it points at. */
function unshim(path: string): string {
  if (!path.includes('/shims/')) return path;
  try {
    const real = execFileSync('pyenv', ['which', 'python3'], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return real && isExecutable(real) ? real : path;
  } catch {
    return path;
  }
}

/** The first python3 on PATH that imports boto3; undefined when there is none. */
function findPython(): Python | undefined {
  if (cached !== null) return cached;
  cached = undefined;
  for (const onPath of whichAll('python3')) {
    const path = unshim(onPath);
    try {
      const out = execFileSync(
        path,
        [
          '-c',
          [
            'import boto3, botocore, importlib.util, json',
            "print(json.dumps({'version': f'boto3 {boto3.__version__} / botocore {botocore.__version__}', 'requests': importlib.util.find_spec('requests') is not None}))",
          ].join('\n'),
        ],
        { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'ignore'] },
      );
      cached = { path, ...(JSON.parse(out) as { version: string; requests: boolean }) };
      break;
    } catch {
      // no boto3 in this one
    }
  }
  return cached;
}

/** Fails with a clear message when boto3 is missing (CI has pyenv's python3 with boto3). */
export function requirePython(): Python {
  const py = findPython();
  if (!py) throw new Error('python3 with boto3 is not installed (pyenv python with boto3/botocore 1.4x); end-to-end tests need it');
  return py;
}

/**
 * Runs test/e2e/py/<script> with the path of a JSON file holding `input` as its one argument and parses the JSON it prints. The environment
 * carries no AWS_* variables: every key and endpoint comes from `input`.
 */
export async function runPython<T>(script: string, input: unknown): Promise<T> {
  const py = requirePython();
  const file = fileURLToPath(new URL(`../py/${script}`, import.meta.url));
  // In a file, not on the command line: one argument may not exceed 128 KiB (E2BIG), and inputs carry file bytes.
  const dir = mkdtempSync(join(tmpdir(), 's3bridge-py-'));
  try {
    const inputFile = join(dir, 'input.json');
    writeFileSync(inputFile, JSON.stringify(input));
    const { stdout } = await runOk(py.path, [file, inputFile], { env: { ...cleanEnv(), PYTHONDONTWRITEBYTECODE: '1' }, timeoutMs: 60_000 });
    return JSON.parse(stdout) as T;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
