// Metrics: the prom-client registry and every metric s3bridge exposes (contract "Metrics"); fed by proxy.ts finish() and upstream/instrument.ts.
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ERROR_CODES } from './s3/errors.js';
import { OPERATION_NAMES } from './s3/operations.js';

/**
 * One histogram layout for client and upstream latency: from a 1 ms HeadObject to a 10-minute
 * emulated copy, roughly 2.5× apart so p50/p99 interpolate within a factor of about 2.
 */
export const DURATION_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** The `backend` label of a request no backend was chosen for (auth failure, ListBuckets answered here). */
export const NO_BACKEND = 'none';
/** The `operation` label of a request that could not be classified, or whose name is not an AWS S3 operation. */
export const UNKNOWN_OPERATION = 'Unknown';
/** The `code` label of an auth failure whose code is not one s3bridge raises (keeps the label set bounded). */
export const UNKNOWN_CODE = 'Unknown';

export type UpstreamErrorKind = 'connect' | 'timeout' | 'reset' | 'status_5xx';
export type CopyOutcome = 'ok' | 'precondition_failed' | 'error';

/** One client request, recorded once its response closed. */
export interface RequestSample {
  /** AWS operation name; undefined or anything outside the known set is recorded as Unknown. */
  operation?: string;
  /** Config name of the backend the request was routed to; undefined when none was (→ "none"). */
  backend?: string;
  status: number;
  durationSeconds: number;
  /** Object body bytes received from / sent to the client. */
  bytesIn: number;
  bytesOut: number;
}

/** One call to a backend, recorded by the upstream interceptor when it ended. */
export interface UpstreamSample {
  backend: string;
  operation?: string;
  /** Response status, when headers arrived; 5xx counts as an upstream error of kind status_5xx. */
  status?: number;
  durationSeconds: number;
  /** A network failure; ignored when the status was already 5xx (one error per call). */
  errorKind?: Exclude<UpstreamErrorKind, 'status_5xx'>;
}

/** One emulated copy (CopyObject or UploadPartCopy whose source lives on another backend). */
export interface CopyEmulationSample {
  operation: string;
  sourceBackend: string;
  destinationBackend: string;
  outcome: CopyOutcome;
  /** Object bytes written to the destination, whatever the outcome. */
  bytes: number;
}

export interface Metrics {
  readonly registry: Registry;
  /** False for disabledMetrics(): nothing is recorded, upstream pools are not instrumented. */
  readonly enabled?: boolean;
  /** The Content-Type of metricsText(): Prometheus text format 0.0.4. */
  readonly contentType: string;
  recordRequest(sample: RequestSample): void;
  recordUpstream(sample: UpstreamSample): void;
  recordCopyEmulation(sample: CopyEmulationSample): void;
  /** `code` is the S3 error code the client got (SignatureDoesNotMatch, InvalidAccessKeyId, ...). */
  recordAuthFailure(code: string): void;
  readonly inflight: { inc(): void; dec(): void };
  /** inflight.inc() now; the returned function decrements once, however often it is called. */
  trackInflight(): () => void;
  metricsText(): Promise<string>;
}

export interface MetricsOptions {
  /** Register prom-client's process and Node.js metrics too (default true). */
  defaultMetrics?: boolean;
}

/** Metrics switched off (admin.metrics: false): every record is a no-op and /metrics is empty. */
export function disabledMetrics(): Metrics {
  const noop = () => {};
  return {
    registry: new Registry(),
    contentType: Registry.PROMETHEUS_CONTENT_TYPE,
    enabled: false,
    recordRequest: noop,
    recordUpstream: noop,
    recordCopyEmulation: noop,
    recordAuthFailure: noop,
    inflight: { inc: noop, dec: noop },
    trackInflight: () => noop,
    metricsText: async () => '',
  };
}

const KNOWN_OPERATIONS: ReadonlySet<string> = new Set(OPERATION_NAMES);
const COPY_OPERATIONS: ReadonlySet<string> = new Set(['CopyObject', 'UploadPartCopy']);
const COPY_OUTCOMES: ReadonlySet<string> = new Set<CopyOutcome>(['ok', 'precondition_failed', 'error']);

/** Bounded label values: callers may pass anything, the registry only ever sees these sets. */
export function operationLabel(op: string | undefined): string {
  return op !== undefined && KNOWN_OPERATIONS.has(op) ? op : UNKNOWN_OPERATION;
}

export function backendLabel(name: string | undefined): string {
  return name ? name : NO_BACKEND;
}

/** An HTTP status as its numeric string; anything that is not one becomes "0". */
export function statusLabel(status: number): string {
  return String(validStatus(status));
}

function validStatus(status: number): number {
  return Number.isInteger(status) && status >= 100 && status <= 599 ? status : 0;
}

export function authCodeLabel(code: string): string {
  return Object.hasOwn(ERROR_CODES, code) ? code : UNKNOWN_CODE;
}

/** Map lookup that builds the value on first use: label-bound children are made once per label tuple. */
function memo<K, V>(make: (key: K) => V): (key: K) => V {
  const cache = new Map<K, V>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = make(key);
      cache.set(key, value);
    }
    return value;
  };
}

type Inc = { inc(value?: number): void };
type Observe = { observe(value: number): void };

/** Builds a registry of its own (never prom-client's global one), so tests and reloads can hold several. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 's3bridge_requests_total',
    help: 'Client requests by S3 operation, backend and HTTP status.',
    labelNames: ['operation', 'backend', 'status'],
    registers,
  });
  const requestDuration = new Histogram({
    name: 's3bridge_request_duration_seconds',
    help: 'Client request duration, from the request line to the response closing.',
    labelNames: ['operation', 'backend'],
    buckets: [...DURATION_BUCKETS],
    registers,
  });
  const upstreamDuration = new Histogram({
    name: 's3bridge_upstream_request_duration_seconds',
    help: 'Backend call duration, from dispatch to the end of the response body.',
    labelNames: ['backend', 'operation'],
    buckets: [...DURATION_BUCKETS],
    registers,
  });
  const receivedBytes = new Counter({
    name: 's3bridge_received_bytes_total',
    help: 'Object body bytes received from clients, by backend.',
    labelNames: ['backend'],
    registers,
  });
  const sentBytes = new Counter({
    name: 's3bridge_sent_bytes_total',
    help: 'Object body bytes sent to clients, by backend.',
    labelNames: ['backend'],
    registers,
  });
  const inflightGauge = new Gauge({ name: 's3bridge_inflight_requests', help: 'Client requests being served now.', registers });
  const copyEmulations = new Counter({
    name: 's3bridge_copy_emulations_total',
    help: 'Copies s3bridge carried out itself (GET from the source, PUT to the destination).',
    labelNames: ['operation', 'source_backend', 'destination_backend', 'outcome'],
    registers,
  });
  const copyBytes = new Counter({
    name: 's3bridge_copy_emulated_bytes_total',
    help: 'Object bytes moved by emulated copies.',
    labelNames: ['source_backend', 'destination_backend'],
    registers,
  });
  const authFailures = new Counter({
    name: 's3bridge_auth_failures_total',
    help: 'Requests refused by authentication or authorisation, by S3 error code.',
    labelNames: ['code'],
    registers,
  });
  const upstreamErrors = new Counter({
    name: 's3bridge_upstream_errors_total',
    help: 'Failed backend calls: connect, timeout, reset, or a 5xx answer.',
    labelNames: ['backend', 'kind'],
    registers,
  });

  // Hot path: one nested Map lookup per label, no label object or string key built per request.
  const requestChildren = memo((op: string) =>
    memo((backend: string) => {
      const duration: Observe = requestDuration.labels(op, backend);
      return memo((status: number): { count: Inc; duration: Observe } => ({ count: requests.labels(op, backend, String(status)), duration }));
    }),
  );
  const bytesChildren = memo((backend: string): { received: Inc; sent: Inc } => ({ received: receivedBytes.labels(backend), sent: sentBytes.labels(backend) }));
  const upstreamChildren = memo((backend: string) => {
    const errors = memo((kind: UpstreamErrorKind): Inc => upstreamErrors.labels(backend, kind));
    const duration = memo((op: string): Observe => upstreamDuration.labels(backend, op));
    return { errors, duration };
  });
  const authChildren = memo((code: string): Inc => authFailures.labels(code));

  const inflight = { inc: () => inflightGauge.inc(), dec: () => inflightGauge.dec() };

  return {
    registry,
    contentType: registry.contentType,
    recordRequest(s) {
      const backend = backendLabel(s.backend);
      const child = requestChildren(operationLabel(s.operation))(backend)(validStatus(s.status));
      child.count.inc();
      child.duration.observe(s.durationSeconds);
      const bytes = bytesChildren(backend);
      if (s.bytesIn > 0) bytes.received.inc(s.bytesIn);
      if (s.bytesOut > 0) bytes.sent.inc(s.bytesOut);
    },
    recordUpstream(s) {
      const children = upstreamChildren(backendLabel(s.backend));
      children.duration(operationLabel(s.operation)).observe(s.durationSeconds);
      const kind: UpstreamErrorKind | undefined = s.status !== undefined && s.status >= 500 ? 'status_5xx' : s.errorKind;
      if (kind !== undefined) children.errors(kind).inc();
    },
    recordCopyEmulation(s) {
      const operation = COPY_OPERATIONS.has(s.operation) ? s.operation : UNKNOWN_OPERATION;
      const outcome = COPY_OUTCOMES.has(s.outcome) ? s.outcome : 'error';
      const source = backendLabel(s.sourceBackend);
      const destination = backendLabel(s.destinationBackend);
      copyEmulations.labels(operation, source, destination, outcome).inc();
      // Touch the bytes series even for 0 so a failed first copy still shows the pair on dashboards.
      copyBytes.labels(source, destination).inc(Math.max(s.bytes, 0));
    },
    recordAuthFailure(code) {
      authChildren(authCodeLabel(code)).inc();
    },
    inflight,
    trackInflight() {
      inflight.inc();
      let done = false;
      return () => {
        if (done) return;
        done = true;
        inflight.dec();
      };
    },
    metricsText: () => registry.metrics(),
  };
}

/** One process's metrics as plain data (prom-client's JSON form): what a cluster worker sends its primary. */
export type MetricsSnapshot = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

export function metricsSnapshot(metrics: Metrics): Promise<MetricsSnapshot> {
  return metrics.registry.getMetricsAsJSON();
}

/** The Content-Type of aggregateMetrics(): Prometheus text format 0.0.4, as a single process serves it. */
export const AGGREGATE_CONTENT_TYPE: string = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * The primary's /metrics: every worker's snapshot merged by prom-client's AggregatorRegistry (counters, histograms
 * and the in-flight gauge summed per label set), so names and labels are exactly those of a single process.
 */
export function aggregateMetrics(snapshots: MetricsSnapshot[]): Promise<string> {
  return AggregatorRegistry.aggregate<typeof Registry.PROMETHEUS_CONTENT_TYPE>(snapshots).metrics();
}
