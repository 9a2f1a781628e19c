// End-to-end test helper: a plain node:http client (what a browser or curl would send, byte for byte) and S3 error-document parsing.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { once } from 'node:events';
import { XMLParser } from 'fast-xml-parser';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  /** Body bytes the client managed to write before the exchange ended (for streamed bodies). */
  sent: number;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  /**
   * A Buffer or string is sent whole; an (async) iterable is written chunk by chunk with backpressure and
   * abandoned as soon as the server answers or the connection closes, as a browser stops uploading.
   */
  body?: Buffer | string | Iterable<Buffer> | AsyncIterable<Buffer>;
  /** The whole exchange must end within this (default 60 s). */
  timeoutMs?: number;
}

/** One request on its own connection; resolves with the answer even when the server answered before the body was sent. */
export function send(url: string, opts: SendOptions = {}): Promise<Reply> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = httpRequest(
      { host: u.hostname, port: u.port, method: opts.method ?? 'GET', path: `${u.pathname}${u.search}`, headers: opts.headers, agent: false },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8'), sent });
          req.destroy();
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(opts.timeoutMs ?? 60_000, () => req.destroy(new Error(`no answer from ${opts.method ?? 'GET'} ${url} in time`)));
    // A write error after the server answered and closed is the expected end of an abandoned upload.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const body = opts.body;
    if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) {
      sent = body === undefined ? 0 : Buffer.byteLength(body);
      req.end(body);
      return;
    }
    void (async () => {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (answered || req.destroyed) return;
        sent += chunk.length;
        if (!req.write(chunk)) {
          // The losers' listeners are removed, or a long upload piles up one set per pause on the request.
          const settled = new AbortController();
          const { signal } = settled;
          await Promise.race([once(req, 'drain', { signal }), once(req, 'close', { signal }), once(req, 'response', { signal })]).catch(() => undefined);
          settled.abort();
        }
      }
      if (!answered && !req.destroyed) req.end();
    })().catch(reject);
  });
}

export interface S3ErrorDoc {
  code: string;
  message: string;
  /** Every child element of <Error> but Code and Message, as text. */
  elements: Record<string, string>;
}

const xml = new XMLParser({ parseTagValue: false, trimValues: false });

/** The parts of an S3 <Error> document; throws (showing the text) when `text` is not one. */
export function s3Error(text: string): S3ErrorDoc {
  const doc = xml.parse(text) as { Error?: Record<string, unknown> };
  if (!doc.Error || typeof doc.Error !== 'object') throw new Error(`not an S3 error document: ${text.slice(0, 500)}`);
  const { Code, Message, ...rest } = doc.Error;
  return { code: String(Code), message: String(Message ?? ''), elements: Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, String(v)])) };
}

/** Status, code and message of an error answer, for one toEqual. */
export function refusal(reply: Reply): { status: number; code: string; message: string } {
  const { code, message } = s3Error(reply.text);
  return { status: reply.status, code, message };
}
