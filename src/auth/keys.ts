// Request auth, step 5 of verification: access key id → configured client, and the cache of derived signing keys (sigv4.md §5).
import { createHmac, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { ClientConfig } from '../config/schema.js';
import { deriveSigningKey } from './sigv4.js';

/** Room for every client × a few regions × today and yesterday (keys change daily); misses only cost 4 HMACs. */
const CACHE_ENTRIES = 4096;

export class KeyStore {
  readonly #clients = new Map<string, ClientConfig>();
  readonly #cache = new LRUCache<string, Buffer>({ max: CACHE_ENTRIES });
  /**
   * Cache keys carry a fingerprint of the secret, never the secret: an HMAC under a key
   * that lives only in this process, so a leaked cache key is no offline oracle even for
   * a weak secret.
   */
  readonly #fingerprintKey = randomBytes(32);
  readonly #fingerprints = new WeakMap<ClientConfig, string>();

  constructor(clients: ClientConfig[]) {
    for (const client of clients) {
      // Config validation rejects duplicates; should one slip through, the first wins.
      if (!this.#clients.has(client.accessKeyId)) this.#clients.set(client.accessKeyId, client);
      this.#fingerprints.set(client, this.#fingerprint(client.secretAccessKey));
    }
  }

  lookup(accessKeyId: string): ClientConfig | undefined {
    return this.#clients.get(accessKeyId);
  }

  /** kSigning for service s3, cached per (secret, date, region). The Buffer is shared: do not mutate it. */
  signingKey(secret: string, date: string, region: string): Buffer {
    return this.#cached(this.#fingerprint(secret), secret, date, region);
  }

  /** Same as signingKey, without re-hashing the secret of a configured client on every request. */
  signingKeyFor(client: ClientConfig, date: string, region: string): Buffer {
    const fp = this.#fingerprints.get(client) ?? this.#fingerprint(client.secretAccessKey);
    return this.#cached(fp, client.secretAccessKey, date, region);
  }

  #cached(fingerprint: string, secret: string, date: string, region: string): Buffer {
    // Length-prefixed so no (date, region) pair can collide with another; the fingerprint is fixed-size hex.
    const key = `${fingerprint}:${date.length}:${date}:${region}`;
    let derived = this.#cache.get(key);
    if (derived === undefined) {
      derived = deriveSigningKey(secret, date, region, 's3');
      this.#cache.set(key, derived);
    }
    return derived;
  }

  #fingerprint(secret: string): string {
    return createHmac('sha256', this.#fingerprintKey).update(secret).digest('hex');
  }
}
