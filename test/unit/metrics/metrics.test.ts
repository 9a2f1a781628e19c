import { describe, expect, it } from 'vitest';
import {
  aggregateMetrics,
  createMetrics,
  DURATION_BUCKETS,
  metricsSnapshot,
  NO_BACKEND,
  UNKNOWN_CODE,
  UNKNOWN_OPERATION,
  authCodeLabel,
  backendLabel,
  operationLabel,
  statusLabel,
  type Metrics,
} from '../../../src/metrics.js';
import { OPERATIONS } from '../../../src/s3/operations.js';
import { family, parseExposition, sampleValue, type Exposition } from './exposition.js';

/** The contract's Metrics table, verbatim. */
const CONTRACT: Array<[string, string, string[]]> = [
  ['s3bridge_requests_total', 'counter', ['operation', 'backend', 'status']],
  ['s3bridge_request_duration_seconds', 'histogram', ['operation', 'backend']],
  ['s3bridge_upstream_request_duration_seconds', 'histogram', ['backend', 'operation']],
  ['s3bridge_received_bytes_total', 'counter', ['backend']],
  ['s3bridge_sent_bytes_total', 'counter', ['backend']],
  ['s3bridge_inflight_requests', 'gauge', []],
  ['s3bridge_copy_emulations_total', 'counter', ['operation', 'source_backend', 'destination_backend', 'outcome']],
  ['s3bridge_copy_emulated_bytes_total', 'counter', ['source_backend', 'destination_backend']],
  ['s3bridge_auth_failures_total', 'counter', ['code']],
  ['s3bridge_upstream_errors_total', 'counter', ['backend', 'kind']],
];

async function scrape(m: Metrics): Promise<Exposition> {
  return parseExposition(await m.metricsText());
}

describe('the registry', () => {
  it('declares exactly the contract metrics with their types and labels', async () => {
    const m = createMetrics();
    const declared = (await m.registry.getMetricsAsJSON()).filter((j) => j.name.startsWith('s3bridge_'));
    expect(declared.map((j) => j.name).sort()).toEqual(CONTRACT.map(([n]) => n).sort());
    for (const [name, type, labels] of CONTRACT) {
      const metric = m.registry.getSingleMetric(name) as unknown as { type: string; labelNames: string[] };
      expect({ name, type: metric.type, labels: [...metric.labelNames].sort() }).toEqual({ name, type, labels: [...labels].sort() });
    }
  });

  it("adds prom-client's default process metrics and nothing else", async () => {
    const m = createMetrics();
    const names = (await m.registry.getMetricsAsJSON()).map((j) => j.name);
    expect(names).toContain('process_cpu_user_seconds_total');
    expect(names).toContain('process_resident_memory_bytes');
    expect(names).toContain('nodejs_heap_size_used_bytes');
    expect(names.filter((n) => !/^(s3bridge|process|nodejs)_/.test(n))).toEqual([]);
  });

  it('can leave the default metrics out', async () => {
    const names = (await createMetrics({ defaultMetrics: false }).registry.getMetricsAsJSON()).map((j) => j.name);
    expect(names.every((n) => n.startsWith('s3bridge_'))).toBe(true);
  });

  it('gives every instance its own registry', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.recordAuthFailure('SignatureDoesNotMatch');
    expect(sampleValue(await scrape(a), 's3bridge_auth_failures_total', { code: 'SignatureDoesNotMatch' })).toBe(1);
    expect(sampleValue(await scrape(b), 's3bridge_auth_failures_total', { code: 'SignatureDoesNotMatch' })).toBeUndefined();
  });

  it('serves Prometheus text format 0.0.4', () => {
    expect(createMetrics({ defaultMetrics: false }).contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('uses buckets from 1 ms to 10 minutes on both latency histograms', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.recordRequest({ operation: 'HeadObject', backend: 'aws', status: 200, durationSeconds: 0.0004, bytesIn: 0, bytesOut: 0 });
    m.recordUpstream({ backend: 'aws', operation: 'HeadObject', status: 200, durationSeconds: 0.0004 });
    const exp = await scrape(m);
    for (const name of ['s3bridge_request_duration_seconds_bucket', 's3bridge_upstream_request_duration_seconds_bucket']) {
      const les = exp.samples.filter((s) => s.name === name).map((s) => s.labels.le);
      expect(les).toEqual([...DURATION_BUCKETS.map(String), '+Inf']);
    }
    expect(DURATION_BUCKETS[0]).toBe(0.001);
    expect(DURATION_BUCKETS.at(-1)).toBe(600);
  });
});

describe('recordRequest', () => {
  it('counts requests, observes durations and adds body bytes per backend', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.recordRequest({ operation: 'GetObject', backend: 'aws', status: 200, durationSeconds: 0.003, bytesIn: 0, bytesOut: 1024 });
    m.recordRequest({ operation: 'GetObject', backend: 'aws', status: 200, durationSeconds: 0.2, bytesIn: 0, bytesOut: 2048 });
    m.recordRequest({ operation: 'GetObject', backend: 'aws', status: 404, durationSeconds: 0.002, bytesIn: 0, bytesOut: 0 });
    m.recordRequest({ operation: 'PutObject', backend: 'local', status: 200, durationSeconds: 700, bytesIn: 5000, bytesOut: 0 });
    const exp = await scrape(m);
    expect(sampleValue(exp, 's3bridge_requests_total', { operation: 'GetObject', backend: 'aws', status: '200' })).toBe(2);
    expect(sampleValue(exp, 's3bridge_requests_total', { operation: 'GetObject', backend: 'aws', status: '404' })).toBe(1);
    expect(sampleValue(exp, 's3bridge_requests_total', { operation: 'PutObject', backend: 'local', status: '200' })).toBe(1);
    const get = { operation: 'GetObject', backend: 'aws' };
    expect(sampleValue(exp, 's3bridge_request_duration_seconds_count', get)).toBe(3);
    expect(sampleValue(exp, 's3bridge_request_duration_seconds_sum', get)).toBeCloseTo(0.205, 9);
    expect(sampleValue(exp, 's3bridge_request_duration_seconds_bucket', { ...get, le: '0.001' })).toBe(0);
    expect(sampleValue(exp, 's3bridge_request_duration_seconds_bucket', { ...get, le: '0.0025' })).toBe(1);
    expect(sampleValue(exp, 's3bridge_request_duration_seconds_bucket', { ...get, le: '0.005' })).toBe(2);
    expect(sampleValue(exp, 's3bridge_request_duration_seconds_bucket', { ...get, le: '0.25' })).toBe(3);
    const put = { operation: 'PutObject', backend: 'local' };
    expect(sampleValue(exp, 's3bridge_request_duration_seconds_bucket', { ...put, le: '600' })).toBe(0);
    expect(sampleValue(exp, 's3bridge_request_duration_seconds_bucket', { ...put, le: '+Inf' })).toBe(1);
    expect(sampleValue(exp, 's3bridge_sent_bytes_total', { backend: 'aws' })).toBe(3072);
    expect(sampleValue(exp, 's3bridge_received_bytes_total', { backend: 'local' })).toBe(5000);
    expect(sampleValue(exp, 's3bridge_received_bytes_total', { backend: 'aws' })).toBeUndefined();
  });

  it('records a request no backend was chosen for as backend "none" and an unparsed one as Unknown', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.recordRequest({ status: 403, durationSeconds: 0.001, bytesIn: 0, bytesOut: 0 });
    m.recordRequest({ operation: 'ListBuckets', backend: '', status: 200, durationSeconds: 0.001, bytesIn: 0, bytesOut: 0 });
    const exp = await scrape(m);
    expect(sampleValue(exp, 's3bridge_requests_total', { operation: UNKNOWN_OPERATION, backend: NO_BACKEND, status: '403' })).toBe(1);
    expect(sampleValue(exp, 's3bridge_requests_total', { operation: 'ListBuckets', backend: NO_BACKEND, status: '200' })).toBe(1);
  });

  it('never lets a bucket, key or made-up operation become a label value', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.recordRequest({ operation: 'photos/2024/cat.jpg', backend: 'aws', status: 200, durationSeconds: 0.01, bytesIn: 0, bytesOut: 0 });
    m.recordRequest({ operation: 'getobject', backend: 'aws', status: 1234, durationSeconds: 0.01, bytesIn: 0, bytesOut: 0 });
    const exp = await scrape(m);
    expect(family(exp, 's3bridge_requests_total').map((s) => s.labels)).toEqual([
      { operation: 'Unknown', backend: 'aws', status: '200' },
      { operation: 'Unknown', backend: 'aws', status: '0' },
    ]);
    expect(JSON.stringify(exp.samples)).not.toMatch(/cat\.jpg|getobject/);
  });
});

describe('label values', () => {
  it.each([
    ['GetObject', 'GetObject'],
    ['UploadPartCopy', 'UploadPartCopy'],
    ['ListObjectsV2', 'ListObjectsV2'],
    [undefined, 'Unknown'],
    ['', 'Unknown'],
    ['Unknown', 'Unknown'],
    ['GETOBJECT', 'Unknown'],
    ['my-bucket', 'Unknown'],
    ['toString', 'Unknown'],
  ])('operation %j → %s', (op, label) => expect(operationLabel(op)).toBe(label));

  it.each([
    [200, '200'],
    [503, '503'],
    [100, '100'],
    [599, '599'],
    [0, '0'],
    [99, '0'],
    [600, '0'],
    [200.5, '0'],
    [NaN, '0'],
  ])('status %d → %s', (status, label) => expect(statusLabel(status)).toBe(label));

  it.each([
    ['aws', 'aws'],
    ['', 'none'],
    [undefined, 'none'],
  ])('backend %j → %s', (b, label) => expect(backendLabel(b)).toBe(label));

  it.each([
    ['SignatureDoesNotMatch', 'SignatureDoesNotMatch'],
    ['InvalidAccessKeyId', 'InvalidAccessKeyId'],
    ['AccessDenied', 'AccessDenied'],
    ['RequestTimeTooSkewed', 'RequestTimeTooSkewed'],
    ['NotACode', UNKNOWN_CODE],
    ['constructor', UNKNOWN_CODE],
    ['', UNKNOWN_CODE],
  ])('auth code %j → %s', (code, label) => expect(authCodeLabel(code)).toBe(label));

  it("labels every operation of the classifier's table by name", () => {
    expect(OPERATIONS.length).toBeGreaterThan(80);
    for (const op of OPERATIONS) expect(operationLabel(op.name)).toBe(op.name);
    expect(operationLabel('NotAnOperation')).toBe(UNKNOWN_OPERATION);
  });
});

describe('recordUpstream', () => {
  it('observes the duration and counts one error per failed call', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.recordUpstream({ backend: 'aws', operation: 'GetObject', status: 200, durationSeconds: 0.02 });
    m.recordUpstream({ backend: 'aws', operation: 'GetObject', status: 503, durationSeconds: 0.01 });
    m.recordUpstream({ backend: 'aws', operation: 'PutObject', status: 500, durationSeconds: 0.01, errorKind: 'reset' });
    m.recordUpstream({ backend: 'aws', operation: 'PutObject', durationSeconds: 0.5, errorKind: 'reset' });
    m.recordUpstream({ backend: 'aws', operation: 'HeadObject', durationSeconds: 0.001, errorKind: 'connect' });
    m.recordUpstream({ backend: 'gcs', operation: 'HeadObject', durationSeconds: 30, errorKind: 'timeout' });
    m.recordUpstream({ backend: 'gcs', operation: 'HeadObject', status: 404, durationSeconds: 0.003 });
    const exp = await scrape(m);
    const errors = Object.fromEntries(family(exp, 's3bridge_upstream_errors_total').map((s) => [`${s.labels.backend}/${s.labels.kind}`, s.value]));
    expect(errors).toEqual({ 'aws/status_5xx': 2, 'aws/reset': 1, 'aws/connect': 1, 'gcs/timeout': 1 });
    expect(sampleValue(exp, 's3bridge_upstream_request_duration_seconds_count', { backend: 'aws', operation: 'GetObject' })).toBe(2);
    expect(sampleValue(exp, 's3bridge_upstream_request_duration_seconds_count', { backend: 'aws', operation: 'PutObject' })).toBe(2);
    expect(sampleValue(exp, 's3bridge_upstream_request_duration_seconds_sum', { backend: 'gcs', operation: 'HeadObject' })).toBeCloseTo(30.003, 9);
  });
});

describe('recordCopyEmulation', () => {
  it('counts copies by outcome and adds the bytes moved per backend pair', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.recordCopyEmulation({ operation: 'CopyObject', sourceBackend: 'aws', destinationBackend: 'local', outcome: 'ok', bytes: 1000 });
    m.recordCopyEmulation({ operation: 'CopyObject', sourceBackend: 'aws', destinationBackend: 'local', outcome: 'ok', bytes: 24 });
    m.recordCopyEmulation({ operation: 'UploadPartCopy', sourceBackend: 'aws', destinationBackend: 'local', outcome: 'error', bytes: 500 });
    m.recordCopyEmulation({ operation: 'CopyObject', sourceBackend: 'local', destinationBackend: 'aws', outcome: 'precondition_failed', bytes: 0 });
    m.recordCopyEmulation({ operation: 'PutObject', sourceBackend: 'local', destinationBackend: 'aws', outcome: 'weird' as 'ok', bytes: -5 });
    const exp = await scrape(m);
    const copies = Object.fromEntries(
      family(exp, 's3bridge_copy_emulations_total').map((s) => [
        `${s.labels.operation} ${s.labels.source_backend}→${s.labels.destination_backend} ${s.labels.outcome}`,
        s.value,
      ]),
    );
    expect(copies).toEqual({
      'CopyObject aws→local ok': 2,
      'UploadPartCopy aws→local error': 1,
      'CopyObject local→aws precondition_failed': 1,
      'Unknown local→aws error': 1,
    });
    expect(sampleValue(exp, 's3bridge_copy_emulated_bytes_total', { source_backend: 'aws', destination_backend: 'local' })).toBe(1524);
    expect(sampleValue(exp, 's3bridge_copy_emulated_bytes_total', { source_backend: 'local', destination_backend: 'aws' })).toBe(0);
  });
});

describe('recordAuthFailure and in-flight requests', () => {
  it('counts auth failures by S3 error code, unknown codes together', async () => {
    const m = createMetrics({ defaultMetrics: false });
    for (const code of ['SignatureDoesNotMatch', 'SignatureDoesNotMatch', 'InvalidAccessKeyId', 'AKIAEXAMPLESECRET', 'x']) m.recordAuthFailure(code);
    const exp = await scrape(m);
    expect(Object.fromEntries(family(exp, 's3bridge_auth_failures_total').map((s) => [s.labels.code, s.value]))).toEqual({
      SignatureDoesNotMatch: 2,
      InvalidAccessKeyId: 1,
      Unknown: 2,
    });
  });

  it('tracks in-flight requests; a tracker decrements once however often it is called', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const inflight = async () => sampleValue(await scrape(m), 's3bridge_inflight_requests');
    expect(await inflight()).toBe(0);
    const a = m.trackInflight();
    const b = m.trackInflight();
    m.inflight.inc();
    expect(await inflight()).toBe(3);
    a();
    a();
    m.inflight.dec();
    expect(await inflight()).toBe(1);
    b();
    expect(await inflight()).toBe(0);
  });
});

describe('across cluster workers', () => {
  it("sums every worker's snapshot under the same names, types and labels", async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.recordRequest({ operation: 'GetObject', backend: 'aws', status: 200, durationSeconds: 0.003, bytesIn: 0, bytesOut: 100 });
    a.recordRequest({ operation: 'GetObject', backend: 'aws', status: 200, durationSeconds: 0.2, bytesIn: 0, bytesOut: 50 });
    b.recordRequest({ operation: 'GetObject', backend: 'aws', status: 200, durationSeconds: 0.003, bytesIn: 0, bytesOut: 1 });
    b.recordRequest({ operation: 'PutObject', backend: 'aws', status: 403, durationSeconds: 0.001, bytesIn: 7, bytesOut: 0 });
    b.trackInflight();
    const snapshots = JSON.parse(JSON.stringify([await metricsSnapshot(a), await metricsSnapshot(b)]));
    const sum = parseExposition(await aggregateMetrics(snapshots));
    const single = await scrape(a);
    expect(sum.types).toEqual(single.types);
    expect(sampleValue(sum, 's3bridge_requests_total', { operation: 'GetObject', backend: 'aws', status: '200' })).toBe(3);
    expect(sampleValue(sum, 's3bridge_requests_total', { operation: 'PutObject', backend: 'aws', status: '403' })).toBe(1);
    expect(sampleValue(sum, 's3bridge_sent_bytes_total', { backend: 'aws' })).toBe(151);
    expect(sampleValue(sum, 's3bridge_received_bytes_total', { backend: 'aws' })).toBe(7);
    expect(sampleValue(sum, 's3bridge_inflight_requests')).toBe(1);
    expect(sampleValue(sum, 's3bridge_request_duration_seconds_bucket', { operation: 'GetObject', backend: 'aws', le: '0.005' })).toBe(2);
    expect(sampleValue(sum, 's3bridge_request_duration_seconds_count', { operation: 'GetObject', backend: 'aws' })).toBe(3);
  });

  it('is empty with no worker to ask', async () => {
    expect((await aggregateMetrics([])).trim()).toBe('');
  });
});

describe('cost', () => {
  it('records a request and its upstream call in a few microseconds', () => {
    const m = createMetrics({ defaultMetrics: false });
    const n = 50_000;
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      const done = m.trackInflight();
      m.recordUpstream({ backend: 'aws', operation: 'GetObject', status: 200, durationSeconds: 0.002 });
      m.recordRequest({ operation: 'GetObject', backend: 'aws', status: 200, durationSeconds: 0.003, bytesIn: 0, bytesOut: 1024 });
      done();
    }
    const perRequestUs = ((performance.now() - started) * 1000) / n;
    // Generous bound for a loaded CI machine; typically well under 5 µs.
    expect(perRequestUs).toBeLessThan(50);
  });
});
