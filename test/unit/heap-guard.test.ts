import { describe, expect, it } from 'vitest';
import { heapGuard } from '../../src/pipeline/heap-guard.ts';

/** A large object nobody keeps, as decoding a large text part leaves behind; only a weak reference to it. */
function garbage(): WeakRef<string[]> {
  return new WeakRef(Array.from({ length: 30 }, (_, i) => `${i}`.padEnd(1024 * 1024, 'x')));
}

describe('the pipeline heap guard', () => {
  it('does nothing below the soft limit', () => {
    expect(heapGuard(16_384)()).toBe(false);
  });

  it('collects the garbage once the heap in use passes the soft limit, then waits for it to grow again', async () => {
    const guard = heapGuard(16);
    const left = garbage();
    await new Promise((r) => setImmediate(r)); // a weak reference holds its target until the job that made it ends
    expect(guard()).toBe(true);
    expect(left.deref()).toBeUndefined();
    // What survived is the baseline now: no collection after every message.
    expect(guard()).toBe(false);
  });
});
