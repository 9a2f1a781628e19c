// CopyResponder: answers an emulated copy; a slow one gets 200 early, whitespace keep-alives, then the result or <Error> (copy-semantics.md §1).
import type { RequestContext } from '../context.js';
import { errorXml, type S3Error } from '../s3/errors.js';

const PROLOG = '<?xml version="1.0" encoding="UTF-8"?>\n';
const KEEPALIVE_INTERVAL_MS = 1_000;

function withoutProlog(xml: string): string {
  return xml.replace(/^<\?xml[^>]*\?>\s*/, '');
}

export class CopyResponder {
  private timer: NodeJS.Timeout | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private early = false;

  constructor(
    private readonly ctx: RequestContext,
    private readonly delayMs: number,
  ) {}

  start(): void {
    this.timer = setTimeout(() => this.goEarly(), this.delayMs);
  }

  private goEarly(): void {
    const { res } = this.ctx;
    if (res.headersSent || res.destroyed) return;
    this.early = true;
    res.writeHead(200, { 'content-type': 'application/xml', 'x-amz-request-id': this.ctx.id });
    res.write(PROLOG);
    // S3 sends whitespace while a copy runs; it keeps idle timeouts of clients and proxies at bay.
    this.ticker = setInterval(() => res.write(' '), KEEPALIVE_INTERVAL_MS);
  }

  private stop(): void {
    clearTimeout(this.timer);
    clearInterval(this.ticker);
  }

  succeed(xml: string, headers: Record<string, string>): void {
    this.stop();
    const { res } = this.ctx;
    if (this.early) {
      res.end(withoutProlog(xml));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/xml', 'x-amz-request-id': this.ctx.id, 'content-length': String(Buffer.byteLength(xml)), ...headers });
    res.end(xml);
  }

  /** Returns false when the error must be rendered the ordinary way (nothing sent yet). */
  fail(err: S3Error): boolean {
    this.stop();
    if (!this.early) return false;
    this.ctx.errorCode = err.code;
    this.ctx.res.end(withoutProlog(errorXml(err, this.ctx.id)));
    return true;
  }
}
