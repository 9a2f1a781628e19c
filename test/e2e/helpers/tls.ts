// End-to-end test helper: a throwaway self-signed certificate for 127.0.0.1, made with openssl at test time, for s3bridge's https listener.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export interface TlsFiles {
  /** PEM certificate; also the CA bundle a client must trust. */
  cert: string;
  key: string;
}

/**
 * CA:TRUE + keyUsage keyCertSign lets the one certificate be its own trust anchor, which strict
 * verifiers (Python's VERIFY_X509_STRICT, Go) require of anything in a CA bundle.
 */
export function generateSelfSignedCert(dir: string): TlsFiles {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,digitalSignature,keyCertSign',
      '-addext',
      'extendedKeyUsage=serverAuth',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 },
  );
  return { cert, key };
}
