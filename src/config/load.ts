// loadConfig: config file → ${ENV} interpolation → validate(); every failure becomes a ConfigError naming the field.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError, fieldPath, validate, type Config } from './schema.js';

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces ${NAME} and ${NAME:-default} in every string of the parsed document. */
export function interpolateEnv(doc: unknown, env: NodeJS.ProcessEnv, problems: string[], path: (string | number)[] = []): unknown {
  if (typeof doc === 'string') {
    return doc.replace(ENV_REF, (_m, name: string, fallback: string | undefined) => {
      const value = env[name];
      if (value !== undefined) return value;
      if (fallback !== undefined) return fallback;
      problems.push(`${fieldPath(path)}: environment variable ${name} is not set`);
      return '';
    });
  }
  if (Array.isArray(doc)) return doc.map((v, i) => interpolateEnv(v, env, problems, [...path, i]));
  if (doc && typeof doc === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(doc)) out[k] = interpolateEnv(v, env, problems, [...path, k]);
    return out;
  }
  return doc;
}

export function parseConfig(text: string, env: NodeJS.ProcessEnv = process.env): Config {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError([`(file): not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new ConfigError(['(root): must be a mapping of server, admin, clients, backends, routes, copy']);
  const problems: string[] = [];
  const interpolated = interpolateEnv(doc, env, problems);
  if (problems.length) throw new ConfigError(problems);
  return deepFreeze(validate(interpolated));
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`(file): cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  return parseConfig(text, env);
}

/**
 * A config that was already loaded elsewhere and arrived as plain data (a cluster worker's, over IPC from its primary):
 * validated again, which is idempotent on a validated config, for its types, and frozen like loadConfig's.
 */
export function reviveConfig(doc: unknown): Config {
  return deepFreeze(validate(doc));
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
