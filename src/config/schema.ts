// Config types and validate(): the contract's YAML keys, with errors that name the field path.
import { z } from 'zod';

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  ki: 1024,
  kib: 1024,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  ti: 1024 ** 4,
  tib: 1024 ** 4,
};

/** "5MiB", "64 MB", 1048576 → bytes. */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  if (!m) return undefined;
  const unit = SIZE_UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  const n = Math.round(Number(m[1]) * unit);
  return Number.isSafeInteger(n) ? n : undefined;
}

const size = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = parseSize(v);
  if (n === undefined) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a size such as 5MiB or a byte count' });
    return z.NEVER;
  }
  return n;
});

const port = z.number({ invalid_type_error: 'must be a port number' }).int().min(0).max(65535);
const host = z.string().min(1);
const url = z.string().refine((v) => {
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.pathname === '/' && !u.search;
  } catch {
    return false;
  }
}, 'must be a URL (http:// or https://, no path)');

const bucketGlob = z
  .string()
  .min(1)
  .regex(/^[a-z0-9.*?-]+$/, 'must be a bucket name or a glob of one');

const client = z
  .object({
    accessKeyId: z
      .string()
      .min(1)
      .regex(/^[^/\s]+$/, 'must not contain "/" or spaces'),
    secretAccessKey: z.string().min(1),
    buckets: z.array(bucketGlob).default(['*']),
    readOnly: z.boolean().default(false),
  })
  .strict();

const capabilities = z
  .object({
    uploadPartCopy: z.boolean().optional(),
    // Default false for remote backends; the embedded store takes aws-chunked (upstream/backends.ts).
    awsChunked: z.boolean().optional(),
    // Only for stores known to keep "." and ".." key segments literal (AWS S3, the embedded store): otherwise such keys are refused.
    literalKeys: z.boolean().optional(),
  })
  .strict();

const remoteBackend = z
  .object({
    name: z.string().regex(/^[a-z0-9-]+$/, 'must match [a-z0-9-]+'),
    endpoint: url,
    region: z.string().min(1).default('us-east-1'),
    addressing: z.enum(['path', 'virtual']).default('path'),
    accessKeyId: z.string().min(1),
    secretAccessKey: z.string().min(1),
    sessionToken: z
      .string()
      .optional()
      .transform((v) => (v ? v : undefined)),
    capabilities: capabilities.default({}),
    maxConnections: z.number().int().min(1).max(4096).default(64),
    timeoutSeconds: z.number().positive().default(300),
  })
  .strict();

const embeddedBackend = z
  .object({
    name: z.string().regex(/^[a-z0-9-]+$/, 'must match [a-z0-9-]+'),
    embedded: z
      .object({
        dir: z.string().min(1),
        // CompleteMultipartUpload's minimum for every part but the last: S3's 5 MiB; tests with small parts lower it.
        minPartSize: size.default('5MiB'),
      })
      .strict(),
    capabilities: capabilities.default({}),
    maxConnections: z.number().int().min(1).max(4096).default(16),
    timeoutSeconds: z.number().positive().default(300),
  })
  .strict();

const backend = z.union([remoteBackend, embeddedBackend]);

export const CORS_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'] as const;
export type CorsMethod = (typeof CORS_METHODS)[number];

const oneWildcard =
  (what: string) =>
  (v: string, ctx: z.RefinementCtx): void => {
    if (v.split('*').length > 2) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${what} "${v}" can not have more than one wildcard.` });
  };

/** cors.md §1: one rule in S3's CORSRule shape, camelCase as in the config contract (`routes[].cors`). */
const corsRule = z
  .object({
    allowedOrigins: z.array(z.string().min(1).superRefine(oneWildcard('AllowedOrigin'))).min(1),
    allowedMethods: z
      .array(
        z.string().refine((m): m is CorsMethod => (CORS_METHODS as readonly string[]).includes(m), {
          message: `Found unsupported HTTP method in CORS config. Supported methods are ${CORS_METHODS.join(', ')}`,
        }),
      )
      .min(1),
    allowedHeaders: z.array(z.string().min(1).superRefine(oneWildcard('AllowedHeader'))).default([]),
    exposeHeaders: z
      .array(
        z
          .string()
          .min(1)
          .refine((h) => !h.includes('*'), {
            message: 'ExposeHeader contains wildcard. We currently do not support wildcard for ExposeHeader.',
          }),
      )
      .default([]),
    maxAgeSeconds: z.number().int().min(0).optional(),
  })
  .strict();

export type CorsRule = z.infer<typeof corsRule>;

/** `routes[].cors`: S3 allows up to 100 rules. */
export const corsSchema = z.array(corsRule).min(1).max(100);

const route = z
  .object({
    bucket: bucketGlob,
    backend: z.string().min(1),
    backendBucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid bucket name')
      .optional(),
    // Unsigned requests: refused (deny), reads served with the backend's keys (read), or forwarded unsigned so the
    // backend's own ACLs and policies decide (backend).
    anonymous: z.enum(['deny', 'read', 'backend']).default('deny'),
    // S3's CORSRule list (S3 allows up to 100); without it preflights and bucket CORS go to the backend.
    cors: corsSchema.optional(),
  })
  .strict();

export const configSchema = z
  .object({
    server: z
      .object({
        host: host.default('127.0.0.1'),
        port: port.default(8080),
        region: z.string().min(1).default('us-east-1'),
        virtualHostSuffixes: z.array(z.string().min(1)).default([]),
        tls: z
          .object({ cert: z.string().min(1), key: z.string().min(1) })
          .strict()
          .optional(),
        shutdownGraceSeconds: z.number().min(0).default(30),
        accessLog: z.boolean().default(true),
        // A client that sends nothing for this long while its request is open gets 400 RequestTimeout, as S3 does.
        idleTimeoutSeconds: z.number().positive().default(60),
        // All bytes held before their signature or checksum is verified, across connections (security.md §6).
        maxBufferedBytes: size.default('256MiB'),
        // Accept Signature Version 2 (header and presigned URLs, as boto3 and the aws CLI v1 presign by default).
        signatureV2: z.boolean().default(true),
        // Processes sharing the S3 listener (node:cluster); auto = os.availableParallelism(). 1 = a single process.
        workers: z
          .custom<'auto' | number>(
            (v) => v === 'auto' || (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 256),
            'must be auto or a number of processes (1-256)',
          )
          .default('auto'),
      })
      .strict()
      .default({}),
    admin: z
      .object({
        host: host.default('127.0.0.1'),
        port: port.default(9090),
        metrics: z.boolean().default(true),
      })
      .strict()
      .default({}),
    clients: z.array(client).min(1, 'must list at least one client'),
    backends: z.array(backend).min(1, 'must list at least one backend'),
    routes: z.array(route).min(1, 'must list at least one route'),
    copy: z
      .object({
        multipartThreshold: size.default('5GiB'),
        partSize: size.default('64MiB'),
        maxConcurrentParts: z.number().int().min(1).max(64).default(4),
        // After this long an emulated copy answers 200 at once and keeps the connection alive with
        // whitespace until the result or <Error> document is ready, as S3 does for slow copies.
        keepAliveAfterSeconds: z.number().min(0).default(3),
      })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const names = new Set<string>();
    cfg.backends.forEach((b, i) => {
      if (names.has(b.name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['backends', i, 'name'], message: `duplicate backend name "${b.name}"` });
      names.add(b.name);
    });
    cfg.routes.forEach((r, i) => {
      if (!names.has(r.backend)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['routes', i, 'backend'], message: `no backend named "${r.backend}"` });
      if (r.backendBucket && /[*?]/.test(r.bucket))
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['routes', i, 'backendBucket'], message: 'an alias needs an exact bucket, not a glob' });
    });
    const keys = new Set<string>();
    cfg.clients.forEach((c, i) => {
      if (keys.has(c.accessKeyId)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['clients', i, 'accessKeyId'], message: 'duplicate access key id' });
      keys.add(c.accessKeyId);
    });
    if (cfg.copy.partSize < 5 * 1024 * 1024 || cfg.copy.partSize > 5 * 1024 ** 3) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['copy', 'partSize'], message: 'must be between 5MiB and 5GiB (S3 part size limits)' });
    }
  });

export type Config = z.infer<typeof configSchema>;
export type ClientConfig = Config['clients'][number];
export type BackendConfig = Config['backends'][number];
export type EmbeddedBackendConfig = z.infer<typeof embeddedBackend>;
export type RouteConfig = Config['routes'][number];

export function isEmbedded(b: BackendConfig): b is EmbeddedBackendConfig {
  return 'embedded' in b;
}

/** "backends[1].endpoint" from zod's path array. */
export function fieldPath(path: (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out || '(root)';
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/** Validates a parsed YAML document; throws ConfigError listing every problem with its field path. */
export function validate(doc: unknown): Config {
  const result = configSchema.safeParse(doc);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    if (issue.code === z.ZodIssueCode.unrecognized_keys) {
      return `${fieldPath(issue.path)}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    }
    if (issue.code === z.ZodIssueCode.invalid_union) {
      // Backends: report against the shape the user evidently meant (embedded or remote).
      const sub = issue.unionErrors.map((e) => e.issues);
      const best = sub.sort((a, b) => a.length - b.length)[0] ?? [];
      return best.map((i) => `${fieldPath([...issue.path, ...i.path.slice(0)])}: ${i.message}`).join('\n');
    }
    return `${fieldPath(issue.path)}: ${issue.message}`;
  });
  throw new ConfigError(problems.flatMap((p) => p.split('\n')));
}
