// The labelled spoofing set (fixtures/spoofing) through the real pipeline and
// matching stage: every attack stopped with its reason, every authenticated
// message still matched. npm run eval reports the same figures.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { evaluateSpoofing } from '../support/spoofing-eval.ts';

it('stops every attack of the spoofing set and matches every authenticated message', async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'mailroom-spoof-'));
  try {
    const result = await evaluateSpoofing('fixtures/spoofing', scratch);
    expect(result.misses).toEqual([]);
    expect(result.attacks.total).toBeGreaterThanOrEqual(9);
    expect(result.legitimate.total).toBeGreaterThanOrEqual(6);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
