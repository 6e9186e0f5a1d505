// Running an async step over many items with a bounded number in flight, each
// item's outcome its own: the pipeline runs a stage over a group of messages so.
import { asError } from '../errors.ts';

/** Calls `run` on every item, at most `inFlight` at a time; each outcome is the result or the error. */
export async function eachInTurn<T, R>(items: readonly T[], inFlight: number, run: (item: T, index: number) => Promise<R>): Promise<(R | Error)[]> {
  const outcomes = new Array<R | Error>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) {
      try {
        outcomes[i] = await run(items[i] as T, i);
      } catch (err) {
        outcomes[i] = asError(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(inFlight, items.length)) }, lane));
  return outcomes;
}
