// How a request's body is covered by its signature: the x-amz-content-sha256 values (sigv4.md §3.5, aws-chunked.md §2); pure types and names.

/** The three aws-chunked encodings s3bridge decodes (aws-chunked.md §2). */
export type AwsChunkedMode = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' | 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER' | 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';

export const AWS_CHUNKED_MODES: readonly AwsChunkedMode[] = [
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
];

export function isAwsChunkedMode(value: string): value is AwsChunkedMode {
  return (AWS_CHUNKED_MODES as readonly string[]).includes(value);
}

export type PayloadMode =
  | { kind: 'sha256'; hash: string } // lowercase hex the body must match
  | { kind: 'unsigned' }
  | { kind: 'streaming'; mode: AwsChunkedMode };
