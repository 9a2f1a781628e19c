import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { writeAtomically } from '../../../src/upstream/embedded-atomic.js';
import { tempDir } from '../../helpers/bridge.js';

describe('writeAtomically (embedded store commits only complete bodies)', () => {
  it('commits a complete stream with its size and MD5', async () => {
    const dir = tempDir();
    const file = join(dir, 'a', 'obj');
    const src = new PassThrough();
    const done = writeAtomically(file, src);
    src.end(Buffer.from('hello world'));
    expect(await done).toEqual({ size: 11, md5: '5eb63bbbe01eeed093cb22bb8f5acdc3' });
    expect(readFileSync(file, 'utf8')).toBe('hello world');
    expect(readdirSync(join(dir, 'a'))).toEqual(['obj']);
  });

  it('an aborted stream leaves the old object as it was and no temporary file', async () => {
    const dir = tempDir();
    const file = join(dir, 'obj');
    writeFileSync(file, 'old content');
    const src = new PassThrough();
    const done = writeAtomically(file, src);
    src.write(Buffer.alloc(1000, 1));
    src.destroy(new Error('aborted'));
    await expect(done).rejects.toThrow('aborted');
    expect(readFileSync(file, 'utf8')).toBe('old content');
    expect(readdirSync(dir)).toEqual(['obj']);
  });

  it('an aborted stream for a new key leaves nothing', async () => {
    const dir = tempDir();
    const src = new PassThrough();
    const done = writeAtomically(join(dir, 'new'), src);
    src.destroy(new Error('gone'));
    await expect(done).rejects.toThrow('gone');
    expect(existsSync(join(dir, 'new'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});
