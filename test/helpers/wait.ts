// Test helper: wait for a state instead of sleeping for a guessed time.

/**
 * Resolves as soon as `cond` holds (checked every `intervalMs`, async conditions awaited); rejects naming `what`
 * after `timeoutMs`. Use it wherever a test waits for something to happen; a fixed sleep is only for tests where
 * time passing is the point (a stalled client, a slow backend), with a comment saying so.
 */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition', intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
