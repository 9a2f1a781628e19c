// Test helper: what a backend holds, as sorted text lines, so a test can assert that a request changed nothing anywhere.
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ListBucketsCommand, ListMultipartUploadsCommand, ListObjectsV2Command, ListPartsCommand, type S3Client } from '@aws-sdk/client-s3';

interface Upload {
  bucket: string;
  key: string;
  id: string;
}

/**
 * Every bucket, every object (key, ETag, size, last modified) and every multipart upload in progress with its
 * parts, read straight from an S3 server (not through s3bridge). The snapshotter remembers the buckets and
 * uploads it saw, so that the next snapshot asks for all of them at once (one round trip: it is taken after every
 * case); buckets and uploads that appeared since are listed in a second one.
 */
export function s3Snapshotter(s3: S3Client): () => Promise<string[]> {
  let knownBuckets: string[] = [];
  let knownUploads: Upload[] = [];
  // A bucket or upload that went away since the last snapshot cannot be listed: its absence is the difference.
  const objects = async (Bucket: string): Promise<string[]> => {
    const lines: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket, ContinuationToken })).catch(() => undefined);
      for (const o of page?.Contents ?? []) lines.push(`object ${Bucket}/${o.Key} ${o.ETag} ${o.Size} ${o.LastModified?.toISOString()}`);
      ContinuationToken = page?.NextContinuationToken;
    } while (ContinuationToken);
    return lines;
  };
  const uploadsIn = async (Bucket: string): Promise<Upload[]> => {
    const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket })).catch(() => undefined);
    return (listed?.Uploads ?? []).map((u) => ({ bucket: Bucket, key: u.Key!, id: u.UploadId! }));
  };
  const partsOf = async (u: Upload): Promise<string[]> => {
    const listed = await s3.send(new ListPartsCommand({ Bucket: u.bucket, Key: u.key, UploadId: u.id })).catch(() => undefined);
    return (listed?.Parts ?? []).map((p) => `part ${u.bucket}/${u.key} ${u.id} ${p.PartNumber} ${p.ETag} ${p.Size}`);
  };
  const describe = async (buckets: string[]) => {
    const [objectLines, uploads] = await Promise.all([Promise.all(buckets.map(objects)), Promise.all(buckets.map(uploadsIn))]);
    return { objectLines: objectLines.flat(), uploads: uploads.flat() };
  };
  return async () => {
    const [buckets, known, knownParts] = await Promise.all([
      s3.send(new ListBucketsCommand({})).then((r) => (r.Buckets ?? []).map((b) => b.Name!)),
      describe(knownBuckets),
      Promise.all(knownUploads.map(async (u) => ({ id: u.id, lines: await partsOf(u) }))),
    ]);
    const added = await describe(buckets.filter((b) => !knownBuckets.includes(b)));
    const present = (bucket: string) => buckets.includes(bucket);
    const uploads = [...known.uploads, ...added.uploads].filter((u) => present(u.bucket));
    const newUploads = uploads.filter((u) => !knownUploads.some((k) => k.id === u.id));
    const partLines = [
      ...knownParts.filter((p) => uploads.some((u) => u.id === p.id)).flatMap((p) => p.lines),
      ...(await Promise.all(newUploads.map(partsOf))).flat(),
    ];
    knownBuckets = buckets;
    knownUploads = uploads;
    return [
      ...buckets.map((b) => `bucket ${b}`),
      ...[...known.objectLines, ...added.objectLines].filter((l) => present(l.slice('object '.length).split('/')[0]!)),
      ...uploads.map((u) => `upload ${u.bucket}/${u.key} ${u.id}`),
      ...partLines,
    ].sort();
  };
}

/**
 * Every folder, file (size, mtime) and link under `root`: for a store that keeps objects as files, taken around
 * its data folder so that a file written outside it shows up too. Folders are listed without their mtime: an
 * upload that was aborted creates and removes a temporary file, which changes nothing that is stored.
 */
export function treeSnapshot(root: string): string[] {
  const lines: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const rel = relative(root, path);
      const st = lstatSync(path);
      if (st.isSymbolicLink()) lines.push(`link ${rel} -> ${readlinkSync(path)}`);
      else if (st.isDirectory()) {
        lines.push(`dir ${rel}`);
        walk(path);
      } else lines.push(`file ${rel} ${st.size} ${st.mtimeMs}`);
    }
  };
  walk(root);
  return lines.sort();
}
