// Test helper: what a backend holds, as sorted text lines, so a test can assert that a request changed nothing anywhere.
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ListBucketsCommand, ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/**
 * Every bucket, every object (key, ETag, size, last modified) and every multipart upload in progress, read
 * straight from an S3 server (not through s3bridge).
 */
export async function s3Snapshot(s3: S3Client): Promise<string[]> {
  const { Buckets = [] } = await s3.send(new ListBucketsCommand({}));
  // One bucket's objects and uploads; buckets side by side, as a snapshot is taken after every case.
  const bucket = async (Name: string): Promise<string[]> => {
    const lines = [`bucket ${Name}`];
    const uploads = s3.send(new ListMultipartUploadsCommand({ Bucket: Name }));
    let ContinuationToken: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: Name, ContinuationToken }));
      for (const o of page.Contents ?? []) lines.push(`object ${Name}/${o.Key} ${o.ETag} ${o.Size} ${o.LastModified?.toISOString()}`);
      ContinuationToken = page.NextContinuationToken;
    } while (ContinuationToken);
    for (const u of (await uploads).Uploads ?? []) lines.push(`upload ${Name}/${u.Key} ${u.UploadId}`);
    return lines;
  };
  return (await Promise.all(Buckets.map((b) => bucket(b.Name!)))).flat().sort();
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
