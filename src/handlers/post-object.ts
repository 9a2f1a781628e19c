// PostObject: a browser form upload (post-object.md): the form authenticates itself, then its file streams into a PutObject on the backend.
import type { RequestContext } from '../context.js';
import { authorize } from '../auth/authorize.js';
import { verifyPostPolicy } from '../auth/post-policy.js';
import { createPostFileCheck, parsePostForm } from '../body/post-form.js';
import type { S3Request } from '../parse/request.js';
import { UNSIGNED_PAYLOAD } from '../s3/hash.js';
import { headerValue } from '../s3/headers.js';
import { operationSpec } from '../s3/operations.js';
import { postLocation, postObjectAnswer } from '../s3/post-response.js';
import { drain, sendUpstream } from '../upstream/client.js';
import { destinationError } from '../copy/destination.js';

/**
 * post-object.md §11: parse the form while it streams (fields up to the file), verify its policy, make the one
 * access decision on the PutObject the form asks for, stream the file (its length checked, its end held back until
 * the whole form checked out) to the backend, and answer as S3 does (204, 200, 201 PostResponse, 303 redirect).
 */
export async function postObject(ctx: RequestContext, s3: S3Request, authorized: () => void = () => undefined): Promise<void> {
  const { req, app } = ctx;
  // The form authenticates itself from its body, so there is nothing to check before asking for it: answer
  // "100 Continue" at once, as S3 does (curl sends Expect: 100-continue with any form over 1 MB and would wait).
  if (/(?:^|\W)100-continue(?:$|\W)/i.test(req.headers.expect ?? '') && !ctx.res.headersSent) ctx.res.writeContinue();
  const declared = req.headers['content-length'];
  const form = await parsePostForm(req, req.headers['content-type'], undefined, declared === undefined ? undefined : Number(declared));
  const upload = verifyPostPolicy({ fields: form.fields, filename: form.filename, bucket: s3.bucket! }, app.keys, { regions: app.regions, now: new Date() });
  const headers = Object.fromEntries(upload.headers);
  // The form stands for a PutObject of the policy's key: authorized like one, with the policy as its signature.
  const put: S3Request = {
    ...s3,
    operation: 'PutObject',
    spec: operationSpec('PutObject')!,
    key: upload.key,
    params: [],
    query: new Map(),
    headers,
    hoisted: [],
  };
  // Logged and counted as the PostObject it is, as a refused form already is, with the key the form names.
  ctx.s3 = { ...put, operation: s3.operation };
  const principal = { client: upload.client, accessKeyId: upload.accessKeyId, payload: { kind: 'unsigned' } as const, signedHeaders: Object.keys(headers) };
  ctx.auth = principal;
  const access = authorize(put, principal, app);
  authorized();
  const { route, backend } = access.target!;
  ctx.backend = backend;
  const length = form.expectedLength;
  const body = form.file.pipe(createPostFileCheck(upload.lengthRange, length));
  form.file.on('error', (err) => body.destroy(err));
  // The form may have failed already (all of it parsed in one go, a second file): its error is not emitted again.
  if (form.file.errored) body.destroy(form.file.errored);
  body.on('data', (chunk: Buffer) => (ctx.bytesIn += chunk.length));
  const up = await sendUpstream(backend, {
    operation: 'PutObject',
    method: 'PUT',
    bucket: route.backendBucket,
    key: upload.key,
    headers: { ...access.headers, ...(length === undefined ? {} : { 'content-length': String(length) }) },
    body,
    payloadHash: UNSIGNED_PAYLOAD,
    signal: ctx.abort.signal,
  });
  if (up.status !== 200) throw await destinationError(up, { backend, backendBucket: route.backendBucket, bucket: s3.bucket!, key: upload.key });
  await drain(up.body);
  const etag = headerValue(up.headers, 'etag') ?? '';
  const origin = `${app.tls ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`;
  const answer = postObjectAnswer({
    bucket: s3.bucket!,
    key: upload.key,
    etag,
    location: postLocation(origin, s3.bucket!, upload.key, s3.virtualHosted),
    successActionStatus: upload.successActionStatus,
    successActionRedirect: upload.successActionRedirect,
  });
  const extra: Record<string, string> = { 'x-amz-request-id': ctx.id, 'content-length': String(Buffer.byteLength(answer.body)) };
  const version = headerValue(up.headers, 'x-amz-version-id');
  if (version) extra['x-amz-version-id'] = version;
  ctx.res.writeHead(answer.status, { ...answer.headers, ...extra });
  ctx.res.end(answer.body);
}
