// Benchmark harness: correctness checks run against each contender before anything is timed, so a proxy that answers
// fast but wrong (errors, truncated or altered bodies) is caught instead of measured.
import { request } from 'undici';
import { expectedBytes } from '../origin.js';
import { getObject, headObject, presignedPath, putObject } from './client.js';
import { createBenchBucket } from './scenarios-embedded.js';

const MiB = 1024 * 1024;

/** The origin's own counters ({ requests, bytesSent, bytesReceived, errors }), read directly. */
export async function originStats(originUrl) {
  const res = await request(`${originUrl}/__origin/stats`);
  return res.body.json();
}

const expect = (cond, msg) => {
  if (!cond) throw new Error(msg);
};

async function runCheck(results, name, fn, required = true) {
  try {
    const detail = await fn();
    results.push({ name, ok: true, required, detail: detail ?? '' });
  } catch (err) {
    results.push({ name, ok: false, required, detail: String(err?.message ?? err) });
  }
}

/** A contender in front of a store (embedded scenarios): what it stores must come back byte-exact. */
async function checkStoreContender(contender, results) {
  const t = contender.target;
  await runCheck(results, 'CreateBucket, PUT 1 MiB, GET it back byte-exact', async () => {
    await createBenchBucket(t);
    const put = await putObject(t, '/bench/check-store', MiB);
    expect(put.status === 200, `PUT status ${put.status}: ${put.body.slice(0, 200)}`);
    const r = await getObject(t, '/bench/check-store', { collect: true });
    expect(r.status === 200 && r.body.equals(expectedBytes(0, MiB)), `GET status ${r.status}, ${r.bytes} bytes`);
  });
  await runCheck(results, 'GET Range bytes=1000-1999: 206 and the right bytes', async () => {
    const r = await getObject(t, '/bench/check-store', { headers: { range: 'bytes=1000-1999' }, collect: true });
    expect(r.status === 206 && r.body.equals(expectedBytes(1000, 2000)), `status ${r.status}`);
  });
  return results;
}

/**
 * Runs the checks for one contender; returns [{ name, ok, detail }]. `required: false` checks are informative
 * (whether a proxy rejects a bad signature is reported, not required: the yardstick proxies check nothing).
 */
export async function checkContender(contender, originUrl) {
  const t = contender.target;
  const results = [];
  if (contender.proxy?.store) return checkStoreContender(contender, results);
  const check = async (name, fn, required = true) => {
    try {
      const detail = await fn();
      results.push({ name, ok: true, required, detail: detail ?? '' });
    } catch (err) {
      results.push({ name, ok: false, required, detail: String(err?.message ?? err) });
    }
  };
  await check('GET 1 MiB: status and every byte', async () => {
    const r = await getObject(t, '/bench/check-1MiB', { collect: true });
    expect(r.status === 200, `status ${r.status}`);
    expect(r.body.equals(expectedBytes(0, MiB)), `body differs (${r.bytes} bytes)`);
  });
  await check('GET Range bytes=1000-1999: 206 and the right bytes', async () => {
    const r = await getObject(t, '/bench/check-1MiB', { headers: { range: 'bytes=1000-1999' }, collect: true });
    expect(r.status === 206, `status ${r.status}`);
    expect(r.headers['content-range'] === `bytes 1000-1999/${MiB}`, `content-range ${r.headers['content-range']}`);
    expect(r.body.equals(expectedBytes(1000, 2000)), 'body differs');
  });
  await check('HEAD: content-length', async () => {
    const r = await headObject(t, '/bench/check-1MiB');
    expect(r.status === 200 && r.headers['content-length'] === String(MiB), `status ${r.status}, length ${r.headers['content-length']}`);
  });
  await check('PUT 1 MiB (UNSIGNED-PAYLOAD): 200, ETag, all bytes reach the origin', async () => {
    const before = await originStats(originUrl);
    const r = await putObject(t, '/bench/check-put-1MiB', MiB);
    const after = await originStats(originUrl);
    expect(r.status === 200, `status ${r.status}: ${r.body.slice(0, 200)}`);
    expect(typeof r.headers.etag === 'string', 'no ETag');
    expect(after.bytesReceived - before.bytesReceived === MiB, `origin received ${after.bytesReceived - before.bytesReceived} bytes`);
  });
  await check('presigned GET 1 KiB', async () => {
    const r = await getObject(t, '/bench/small-1KiB', { auth: 'query', collect: true });
    expect(r.status === 200 && r.body.equals(expectedBytes(0, 1024)), `status ${r.status}, ${r.bytes} bytes`);
  });
  if (contender.proxy) {
    await check(
      'rejects a tampered presigned URL (403)',
      async () => {
        const path = presignedPath(t, '/bench/small-1KiB').replace(/(X-Amz-Signature=)([0-9a-f])/, (_, p, c) => p + (c === '0' ? '1' : '0'));
        const r = await getObject(t, path, { auth: 'none' });
        expect(r.status === 403, `status ${r.status}`);
      },
      false,
    );
  }
  return results;
}
