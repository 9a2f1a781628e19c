// Embedded store, versioning: GetBucketVersioning, PutBucketVersioning and ListObjectVersions (the versions themselves are objects.ts's).
import { S3Error } from '../../s3/errors.js';
import { childText, parseXml } from '../../s3/xml-read.js';
import { readSmallBody } from '../body.js';
import { bucketOf, sendEmpty, sendXml, type StoreRequest } from '../context.js';
import { isVersionId } from '../disk/layout.js';
import { lowerBound, parseEncodingType, parseMaxKeys, utf8, type Keyed } from '../listing.js';
import { versionIdOf } from '../objects.js';
import type { ObjectRecord } from '../records.js';
import { listVersionsXml, versioningXml } from '../xml-write.js';

export async function getBucketVersioning(r: StoreRequest): Promise<void> {
  sendXml(r, 200, versioningXml(r.store.buckets.require(bucketOf(r)).record.versioning));
}

/**
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketVersioning.html: Enabled or Suspended; a bucket once
 * versioned never returns to unversioned. MFA Delete needs an MFA device, which this store has none of.
 */
export async function putBucketVersioning(r: StoreRequest): Promise<void> {
  const bucket = r.store.buckets.require(bucketOf(r));
  const doc = parseXml(await readSmallBody(r));
  if (doc.name !== 'VersioningConfiguration') throw new S3Error('MalformedXML');
  const status = childText(doc, 'Status')?.trim();
  if (status !== undefined && status !== 'Enabled' && status !== 'Suspended') throw new S3Error('MalformedXML');
  const mfa = childText(doc, 'MfaDelete')?.trim();
  if (mfa !== undefined && mfa !== 'Disabled') {
    if (mfa !== 'Enabled') throw new S3Error('MalformedXML');
    throw new S3Error('NotImplemented', 'MFA Delete is not implemented by the embedded store.');
  }
  if (status === 'Suspended' && bucket.record.objectLock)
    throw new S3Error('InvalidBucketState', 'An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.');
  if (status !== undefined) await bucket.update((record) => ({ ...record, versioning: status }));
  sendEmpty(r, 200);
}

/**
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html: every version and delete marker, by
 * key (UTF-8 order), newest first; max-keys counts versions and common prefixes; key-marker alone starts after that
 * key, with version-id-marker after that version of it.
 */
export async function listObjectVersions(r: StoreRequest): Promise<void> {
  const bucket = r.store.buckets.require(bucketOf(r));
  const q = r.s3.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') || undefined;
  const maxKeys = parseMaxKeys(q.get('max-keys'));
  const encoding = parseEncodingType(q.get('encoding-type'));
  const keyMarker = q.get('key-marker') ?? '';
  const versionIdMarker = q.get('version-id-marker') ?? '';
  if (versionIdMarker !== '' && keyMarker === '')
    throw new S3Error('InvalidArgument', 'A version-id marker cannot be specified without a key marker.', { ArgumentName: 'version-id-marker' });
  if (versionIdMarker !== '' && !isVersionId(versionIdMarker))
    throw new S3Error('InvalidArgument', 'Invalid version id specified', { ArgumentName: 'version-id-marker', ArgumentValue: versionIdMarker });

  const index = await bucket.index();
  const keys: Keyed[] = index.sorted.slice();
  for (const key of index.versioned) if (!index.has(key)) keys.push({ key, keyBytes: utf8(key) });
  keys.sort((a, b) => Buffer.compare(a.keyBytes, b.keyBytes));

  const markerBytes = utf8(keyMarker);
  let i = lowerBound(keys, utf8(prefix));
  if (keyMarker !== '') {
    i = Math.max(i, lowerBound(keys, markerBytes));
    if (versionIdMarker === '' && i < keys.length && keys[i]!.keyBytes.equals(markerBytes)) i++;
  }
  const out: Array<{ record: ObjectRecord; latest: boolean }> = [];
  const prefixes: string[] = [];
  let next: { key: string; versionId?: string } | undefined;
  let truncated = false;
  let count = 0;
  scan: while (i < keys.length && keys[i]!.key.startsWith(prefix)) {
    const key = keys[i]!.key;
    const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    if (at >= 0) {
      const common = key.slice(0, at + delimiter!.length);
      while (i < keys.length && keys[i]!.key.startsWith(common)) i++;
      if (keyMarker !== '' && Buffer.compare(utf8(common), markerBytes) <= 0) continue;
      if (count === maxKeys) {
        truncated = true;
        break;
      }
      prefixes.push(common);
      next = { key: common };
      count++;
      continue;
    }
    const all = await r.store.objects.versions(bucket.name, key);
    let from = 0;
    if (key === keyMarker && versionIdMarker !== '') from = all.findIndex((v) => versionIdOf(v) === versionIdMarker) + 1;
    for (const record of all.slice(from)) {
      if (count === maxKeys) {
        truncated = true;
        break scan;
      }
      out.push({ record, latest: record === all[0] });
      next = { key, versionId: versionIdOf(record) };
      count++;
    }
    i++;
  }
  sendXml(
    r,
    200,
    listVersionsXml(out, prefixes, {
      bucket: bucket.name,
      prefix,
      delimiter,
      maxKeys,
      encoding,
      owner: r.store.owner,
      keyMarker,
      versionIdMarker,
      truncated,
      ...(next ? { next } : {}),
    }),
  );
}
