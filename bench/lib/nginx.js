// Benchmark yardstick: nginx as a reverse proxy in front of the origin (proxy_pass, buffering off both ways,
// keep-alive upstream), the reference for what a proxy in C costs here. Started only when nginx is installed
// (`apt-get install -y nginx-light`); CI does without it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, launch } from './processes.js';

export function nginxBinary() {
  try {
    return execFileSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * One worker process, so nginx is compared per core with s3bridge's workers=1 and the pipe proxy; no access log, like
 * the pipe proxy. keepalive_requests is raised from 1000 so neither side reconnects during a load run.
 * NGINX_BUFFER=KiB overrides the 64 KiB stream buffer (NGINX_BUFFER=4 is nginx's default, a page).
 */
function nginxConfig({ port, adminPort, originUrl, prefix }) {
  const origin = new URL(originUrl);
  const BUFFER = Number.parseInt(process.env.NGINX_BUFFER ?? '64', 10);
  return `worker_processes 1;
daemon off;
${process.getuid?.() === 0 ? 'user root;' : ''}
pid ${prefix}/nginx.pid;
error_log ${prefix}/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  upstream origin {
    server ${origin.hostname}:${origin.port};
    keepalive 64;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
  }
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 1000000;
    keepalive_timeout 65s;
    client_max_body_size 0;
    # Unbuffered, nginx moves a stream through one buffer of this size per read and write (default one 4 KiB page,
    # i.e. twice the syscalls per byte of Node's 64 KiB reads): the same 64 KiB both ways.
    client_body_buffer_size ${BUFFER}k;
    proxy_buffer_size ${BUFFER}k;
    # Unused while proxy_buffering is off, but nginx checks them against proxy_buffer_size.
    proxy_buffers 4 ${BUFFER}k;
    proxy_busy_buffers_size ${2 * BUFFER}k;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 300s;
      proxy_send_timeout 300s;
    }
  }
  server {
    listen 127.0.0.1:${adminPort};
    location = /healthz { return 200 "ok\\n"; }
  }
}
`;
}

/** Starts nginx (master + 1 worker) with a generated config; same shape as startProxy's result. */
export async function startNginx({ name, originUrl, workDir }) {
  const binary = nginxBinary();
  if (!binary) throw new Error('nginx is not installed');
  const port = await freePort();
  const adminPort = await freePort();
  const prefix = join(workDir, name);
  mkdirSync(join(prefix, 'tmp'), { recursive: true });
  const configFile = join(prefix, 'nginx.conf');
  writeFileSync(configFile, nginxConfig({ port, adminPort, originUrl, prefix }));
  // -e: the error log before the config is read (the default path is not writable without root).
  const proc = await launch({
    name,
    command: binary,
    args: ['-p', prefix, '-c', configFile, '-e', join(prefix, 'nginx-error.log')],
    env: process.env,
    port,
    adminPort,
    workDir,
  });
  return { ...proc, configFile };
}
