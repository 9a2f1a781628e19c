// End-to-end test helper: Debian's chromium driven by playwright-core, and tiny page servers on 127.0.0.1 (each port its own origin) for cross-origin tests.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

/** Fails with a clear message when Debian's chromium is missing (CI installs it: apt-get install -y chromium). */
function requireChromium(): string {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is not installed (Debian package chromium); the browser tests need it`);
  return CHROMIUM;
}

/** One headless Chromium; playwright gives every launch a fresh temporary profile (user-data dir) and removes it on close. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: requireChromium(),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface PageServer {
  /** http://127.0.0.1:PORT */
  origin: string;
  /** Every path+query requested, in order (e.g. the redirect a form upload ended on). */
  visits: string[];
  close(): Promise<void>;
}

/** A page server: every path is a small HTML page to run scripts in (and for a form upload to be redirected to). */
export async function startPageServer(name: string): Promise<PageServer> {
  const visits: string[] = [];
  const server: Server = createServer((req, res) => {
    visits.push(req.url ?? '');
    if (req.url === '/favicon.ico') {
      res.writeHead(404).end();
      return;
    }
    const html = `<!doctype html><html><head><meta charset="utf-8"><title>${name}</title></head><body><p id="where">${name} ${req.url}</p></body></html>`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html), 'cache-control': 'no-store' });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    visits,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
