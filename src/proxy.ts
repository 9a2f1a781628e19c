// THE pipeline: parseS3Request → authenticate → authorize → prepareBody → handle; one catch → renderError.
import type { IncomingMessage } from 'node:http';
import { authenticate } from './auth/authenticate.js';
import type { RequestContext, Routed } from './context.js';
import { handle } from './handlers/index.js';
import { prepareBody } from './body/prepare.js';
import { listBuckets } from './handlers/list-buckets.js';
import { postObject } from './handlers/post-object.js';
import { answerPreflight, markCorsAnswer } from './handlers/preflight.js';
import { S3Error, isS3Error, renderError, toS3Error } from './s3/errors.js';
import { parseS3Request } from './parse/request.js';
import { authorize } from './auth/authorize.js';

export async function handleRequest(ctx: RequestContext, expectContinue = false): Promise<void> {
  const { app, req, res } = ctx;
  watchIdleClient(ctx);
  // Until the access decision is made, a refusal counts as an authentication failure (s3bridge_auth_failures_total).
  let authenticating = true;
  const decided = () => void (authenticating = false);
  try {
    const s3 = (ctx.s3 = parseS3Request({ method: req.method ?? 'GET', url: req.url ?? '/', rawHeaders: req.rawHeaders }, app.parseOptions));
    const route = s3.bucket === undefined ? undefined : app.router.lookup(s3.bucket);
    markCorsAnswer(res, route, s3);
    if (s3.operation === 'OptionsObject') return await answerPreflight(ctx, s3, route);
    // A form upload authenticates with its policy, never with headers: the key it writes is inside the form.
    if (s3.operation === 'PostObject') return await postObject(ctx, s3, decided);
    const auth = (ctx.auth = authenticate(s3, req.rawHeaders, {
      keys: app.keys,
      regions: app.regions,
      now: new Date(),
      signatureV2: app.config.server.signatureV2,
    }));
    const access = authorize(s3, auth, app);
    decided();
    // boto3 waits for "100 Continue" before sending a body: send it only once the request is authorised.
    if (expectContinue) res.writeContinue();
    if (!access.target) return await listBuckets(Object.assign(ctx, { s3, auth, headers: access.headers }));
    const { backend } = access.target;
    ctx.backend = backend;
    const body = (ctx.body = await prepareBody({
      req,
      operation: s3.operation,
      headers: s3.headers,
      payload: auth.payload,
      signing: auth.signing,
      awsChunked: backend.capabilities.awsChunked,
      literalKeys: backend.capabilities.literalKeys,
      budget: app.budget,
      checkNamedBucket: access.checkNamedBucket,
      onObjectBytes: (n) => (ctx.bytesIn += n),
    }));
    const routed: Routed = Object.assign(ctx, {
      s3,
      auth,
      headers: access.headers,
      unsigned: access.unsigned,
      route: access.target.route,
      backend,
      body,
      source: access.source,
    });
    await handle(routed);
  } catch (err) {
    fail(ctx, err);
    // Parse errors happen before authentication too; count only what the auth stages refused.
    if (authenticating && ctx.s3 && isS3Error(err)) app.metrics.recordAuthFailure(err.code);
  }
}

/**
 * A client that stalls mid-request (a body that stops arriving) would hold a backend request open for ever:
 * answer 400 RequestTimeout like S3, abort the upstream request (nothing is committed) and close. Only requests
 * with a body can stall that way, so only they pay for the watch.
 */
function watchIdleClient(ctx: RequestContext): void {
  const { req, res } = ctx;
  if (req.complete || (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) || req.headers['content-length'] === '0')
    return;
  const onIdle = () => {
    // Only a request still arriving is the client's stall; a slow backend has its own timeouts.
    if (res.writableFinished || req.complete) return;
    ctx.errorCode = 'RequestTimeout';
    const err = new S3Error('RequestTimeout');
    if (!res.headersSent) {
      res.setHeader('connection', 'close');
      renderError(res, err, ctx.id, { head: req.method === 'HEAD' });
      res.once('finish', () => req.socket.destroy());
    } else {
      res.destroy();
    }
    const stream = ctx.body?.stream;
    if (stream && !Buffer.isBuffer(stream)) stream.destroy(err);
    else if (!req.complete) req.destroy(err);
  };
  req.setTimeout(ctx.app.config.server.idleTimeoutSeconds * 1000, onIdle);
  // Once the body is in, Node offers the timeout to the response and else destroys the socket; waiting for a slow
  // backend is bounded by the backend's own timeout instead. Keep-alive: Node re-arms the socket after the response.
  res.on('timeout', () => {});
}

function fail(ctx: RequestContext, err: unknown): void {
  const { res, req } = ctx;
  if (ctx.aborted) {
    ctx.errorCode = 'ClientDisconnected';
    return;
  }
  const s3err = toS3Error(err);
  ctx.errorCode = s3err.code;
  if (!isS3Error(err)) ctx.app.log.error('request failed', { requestId: ctx.id, error: (err as Error)?.stack ?? String(err) });
  const resource = ctx.s3?.bucket !== undefined ? `/${ctx.s3.bucket}${ctx.s3.key !== undefined ? `/${ctx.s3.key}` : ''}` : undefined;
  const unreadBody = !req.complete && !req.readableEnded && req.readableFlowing !== true;
  // A client still sending a body we refused: tell it the connection ends here, and read (and
  // discard) what it sends so it can see our answer instead of a reset; bounded, then cut.
  if (unreadBody && !res.headersSent) res.setHeader('connection', 'close');
  renderError(res, s3err, ctx.id, { head: req.method === 'HEAD', resource });
  if (unreadBody) discardBody(req);
}

const DISCARD_LIMIT_BYTES = 64 * 1024 * 1024;
const DISCARD_LIMIT_MS = 10_000;

function discardBody(req: IncomingMessage): void {
  let seen = 0;
  const timer = setTimeout(() => req.destroy(), DISCARD_LIMIT_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > DISCARD_LIMIT_BYTES) req.destroy();
  });
  req.once('close', () => clearTimeout(timer));
  req.on('error', () => {});
  req.resume();
}

/** Once the response closed: one metrics record and one access log line per request. */
export function recordRequest(ctx: RequestContext): void {
  const { req, res, s3 } = ctx;
  {
    const durationMs = Math.round((performance.now() - ctx.startedAt) * 1000) / 1000;
    const { metrics } = ctx.app;
    metrics.recordRequest({
      operation: s3?.operation,
      backend: ctx.backend?.name,
      status: res.statusCode,
      durationSeconds: durationMs / 1000,
      bytesIn: ctx.bytesIn,
      bytesOut: ctx.bytesOut,
    });
    if (ctx.copy) metrics.recordCopyEmulation(ctx.copy);
    ctx.app.log.access({
      time: new Date().toISOString(),
      requestId: ctx.id,
      remoteAddr: req.socket.remoteAddress,
      accessKeyId: ctx.auth?.accessKeyId,
      operation: s3?.operation,
      bucket: s3?.bucket,
      key: s3?.key,
      backend: ctx.backend?.name,
      status: res.statusCode,
      errorCode: ctx.errorCode,
      bytesIn: ctx.bytesIn,
      bytesOut: ctx.bytesOut,
      durationMs,
      userAgent: req.headers['user-agent'],
      upstreamRequestId: ctx.upstreamRequestId,
    });
  }
}
