// Every stage throws S3Error; proxy.ts renders it once with renderError (S3 error XML, copy-semantics.md §9).
import type { ServerResponse } from 'node:http';
import { xmlEscape } from './xml.js';

/** AWS error codes we raise ourselves, with the HTTP status and default message AWS uses. */
export const ERROR_CODES = {
  AccessDenied: [403, 'Access Denied'],
  AccessForbidden: [
    403,
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
  ],
  AuthorizationHeaderMalformed: [400, 'The authorization header is malformed.'],
  AuthorizationQueryParametersError: [400, 'Error parsing the query-string authentication parameters.'],
  BadDigest: [400, 'The Content-MD5 you specified did not match what we received.'],
  BadRequest: [400, 'Bad Request'],
  BucketAlreadyExists: [
    409,
    'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
  ],
  BucketAlreadyOwnedByYou: [409, 'Your previous request to create the named bucket succeeded and you already own it.'],
  BucketNotEmpty: [409, 'The bucket you tried to delete is not empty'],
  EntityTooLarge: [400, 'Your proposed upload exceeds the maximum allowed size'],
  EntityTooSmall: [400, 'Your proposed upload is smaller than the minimum allowed object size.'],
  ExpiredToken: [400, 'The provided token has expired.'],
  IncompleteBody: [400, 'You did not provide the number of bytes specified by the Content-Length HTTP header.'],
  InternalError: [500, 'We encountered an internal error. Please try again.'],
  InvalidAccessKeyId: [403, 'The AWS Access Key Id you provided does not exist in our records.'],
  InvalidArgument: [400, 'Invalid Argument'],
  InvalidBucketName: [400, 'The specified bucket is not valid.'],
  InvalidBucketState: [409, 'The request is not valid with the current state of the bucket.'],
  InvalidChunkSizeError: [400, 'Only the last chunk is allowed to have a size less than 8192 bytes'],
  InvalidDigest: [400, 'The Content-MD5 you specified is not valid.'],
  InvalidEncryptionAlgorithmError: [400, 'The Encryption request you specified is not valid. Supported value: AES256.'],
  InvalidPart: [400, 'One or more of the specified parts could not be found.'],
  InvalidPartNumber: [416, 'The requested partnumber is not satisfiable'],
  InvalidPartOrder: [400, 'The list of parts was not in ascending order. The parts list must be specified in order by part number.'],
  InvalidPolicyDocument: [400, 'The content of the form does not meet the conditions specified in the policy document.'],
  InvalidRange: [416, 'The requested range is not satisfiable'],
  InvalidRequest: [400, 'Invalid Request'],
  InvalidStorageClass: [400, 'The storage class you specified is not valid'],
  InvalidTag: [400, 'The TagSet does not exist'],
  InvalidToken: [400, 'The provided token is malformed or otherwise invalid.'],
  InvalidURI: [400, "Couldn't parse the specified URI."],
  KeyTooLongError: [400, 'Your key is too long'],
  MalformedACLError: [400, 'The XML you provided was not well-formed or did not validate against our published schema'],
  MalformedPOSTRequest: [400, 'The body of your POST request is not well-formed multipart/form-data.'],
  MalformedPolicy: [400, "Policies must be valid JSON and the first byte must be '{'"],
  MalformedXML: [400, 'The XML you provided was not well-formed or did not validate against our published schema.'],
  MaxMessageLengthExceeded: [400, 'Your request was too big.'],
  MaxPostPreDataLengthExceeded: [400, 'Your POST request fields preceding the upload file were too large.'],
  MetadataTooLarge: [400, 'Your metadata headers exceed the maximum allowed metadata size'],
  MethodNotAllowed: [405, 'The specified method is not allowed against this resource.'],
  MissingContentLength: [411, 'You must provide the Content-Length HTTP header.'],
  MissingSecurityHeader: [400, 'Your request is missing a required header.'],
  NoSuchBucket: [404, 'The specified bucket does not exist'],
  NoSuchBucketPolicy: [404, 'The bucket policy does not exist'],
  NoSuchCORSConfiguration: [404, 'The CORS configuration does not exist'],
  NoSuchKey: [404, 'The specified key does not exist.'],
  NoSuchLifecycleConfiguration: [404, 'The lifecycle configuration does not exist'],
  NoSuchObjectLockConfiguration: [404, 'The specified object does not have a ObjectLock configuration'],
  NoSuchPublicAccessBlockConfiguration: [404, 'The public access block configuration was not found'],
  NoSuchTagSet: [404, 'The TagSet does not exist'],
  NoSuchUpload: [404, 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.'],
  NoSuchVersion: [404, 'The specified version does not exist.'],
  NoSuchWebsiteConfiguration: [404, 'The specified bucket does not have a website configuration'],
  NotImplemented: [501, 'A header you provided implies functionality that is not implemented.'],
  ObjectLockConfigurationNotFoundError: [404, 'Object Lock configuration does not exist for this bucket'],
  OwnershipControlsNotFoundError: [404, 'The bucket ownership controls were not found'],
  PreconditionFailed: [412, 'At least one of the pre-conditions you specified did not hold'],
  ReplicationConfigurationNotFoundError: [404, 'The replication configuration was not found'],
  RequestTimeTooSkewed: [403, 'The difference between the request time and the current time is too large.'],
  RequestTimeout: [400, 'Your socket connection to the server was not read from or written to within the timeout period.'],
  ServerSideEncryptionConfigurationNotFoundError: [404, 'The server side encryption configuration was not found'],
  ServiceUnavailable: [503, 'Please reduce your request rate.'],
  SignatureDoesNotMatch: [403, 'The request signature we calculated does not match the signature you provided. Check your key and signing method.'],
  SlowDown: [503, 'Please reduce your request rate.'],
  TokenRefreshRequired: [400, 'The provided token must be refreshed.'],
  UnexpectedContent: [400, 'This request does not support content.'],
  XAmzContentSHA256Mismatch: [400, "The provided 'x-amz-content-sha256' header does not match what was computed."],
} as const satisfies Record<string, readonly [number, string]>;

export type S3ErrorCode = keyof typeof ERROR_CODES;

/** Extra child elements of <Error> (e.g. BucketName, Key, ArgumentName, HeadersNotSigned). */
export type ErrorElements = Record<string, string | number | undefined>;

export class S3Error extends Error {
  /** An AWS error code: one of ours, or whatever a backend said (see fromBackend). */
  readonly code: string;
  readonly status: number;
  readonly elements: ErrorElements;
  /** Extra response headers (e.g. Allow for MethodNotAllowed). */
  readonly headers: Record<string, string>;

  constructor(code: S3ErrorCode, message?: string, elements: ErrorElements = {}, opts: { status?: number; headers?: Record<string, string> } = {}) {
    const [status, defaultMessage] = ERROR_CODES[code] ?? [500, ''];
    super(message ?? defaultMessage);
    this.name = 'S3Error';
    this.code = code;
    this.status = opts.status ?? status;
    this.elements = elements;
    this.headers = opts.headers ?? {};
  }
}

/** An error a backend reported (code and status as the backend said them), e.g. inside an emulated copy. */
export function backendError(status: number, code: string, message: string, elements: ErrorElements = {}): S3Error {
  const err = new S3Error('InternalError', message, elements, { status });
  (err as { code: string }).code = /^[A-Za-z0-9.]{1,64}$/.test(code) ? code : 'InternalError';
  return err;
}

export function isS3Error(err: unknown): err is S3Error {
  return err instanceof S3Error;
}

/** The <Error> document (no namespace, as AWS sends it). */
export function errorXml(err: S3Error, requestId: string, resource?: string): string {
  let body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${err.code}</Code><Message>${xmlEscape(err.message)}</Message>`;
  for (const [name, value] of Object.entries(err.elements)) {
    if (value === undefined) continue;
    body += `<${name}>${xmlEscape(String(value))}</${name}>`;
  }
  if (resource !== undefined && err.elements.Resource === undefined) body += `<Resource>${xmlEscape(resource)}</Resource>`;
  body += `<RequestId>${requestId}</RequestId><HostId>${requestId}</HostId></Error>`;
  return body;
}

/**
 * Writes err to the client. Once headers are out an error can no longer be expressed
 * as a status: the socket is destroyed so the client sees a truncated response, never
 * XML appended to an object body.
 */
export function renderError(res: ServerResponse, err: S3Error, requestId: string, opts: { head?: boolean; resource?: string } = {}): void {
  if (res.writableEnded) return; // already answered (e.g. RequestTimeout): nothing left to say
  if (res.headersSent) {
    res.destroy(err);
    return;
  }
  const body = opts.head ? '' : errorXml(err, requestId, opts.resource);
  const headers: Record<string, string | number> = {
    'content-type': 'application/xml',
    'x-amz-request-id': requestId,
    'x-amz-id-2': requestId,
    date: new Date().toUTCString(),
    ...err.headers,
  };
  if (!opts.head) headers['content-length'] = Buffer.byteLength(body);
  res.writeHead(err.status, headers);
  res.end(body);
}

/** Converts anything thrown into an S3Error without leaking internal messages. */
export function toS3Error(err: unknown): S3Error {
  if (isS3Error(err)) return err;
  return new S3Error('InternalError');
}
