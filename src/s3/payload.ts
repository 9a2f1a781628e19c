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

/** What the header-signature verifier hands to the body decoder to continue the chain. */
export interface ChunkSigning {
  /** kSigning (sigv4.md §5) of the request's scope. */
  signingKey: Buffer;
  /** x-amz-date of the request, e.g. 20130524T000000Z. */
  timestamp: string;
  /** Credential scope, e.g. 20130524/us-east-1/s3/aws4_request. */
  scope: string;
  /** The verified Authorization-header signature: previous signature of chunk 1. */
  seedSignature: string;
}
