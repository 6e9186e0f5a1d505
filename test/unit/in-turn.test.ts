import { describe, expect, it } from 'vitest';
import { eachInTurn } from '../../src/runtime/in-turn.ts';

describe('eachInTurn', () => {
  it('runs every item with at most inFlight at once, each outcome in its item’s place, a throw only its own', async () => {
    let running = 0;
    let most = 0;
    const outcomes = await eachInTurn([5, 1, 4, 2, 3, 0, 6], 3, async (ms, index) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, ms));
      running--;
      if (ms === 4) throw new Error(`item ${index} failed`);
      if (ms === 2) throw 'not an Error'; // a library may throw anything
      return ms * 10;
    });
    expect(most).toBe(3);
    expect(outcomes.map((o) => (o instanceof Error ? o.message : o))).toEqual([50, 10, 'item 2 failed', 'not an Error', 30, 0, 60]);
  });

  it('takes no items, and one at a time', async () => {
    expect(await eachInTurn([], 4, () => Promise.resolve(1))).toEqual([]);
    const order: number[] = [];
    await eachInTurn([3, 1, 2], 1, async (ms) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      order.push(ms);
    });
    expect(order).toEqual([3, 1, 2]);
  });
});
