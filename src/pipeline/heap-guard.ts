// Keeps the pipeline thread's heap near what it really uses. V8 sizes a heap
// from the machine's memory and collects late: parsing a run of megabyte
// messages leaves hundreds of MB of garbage (text parts decoded, copied,
// joined) that V8 would keep until some far-off limit, and the process's RSS
// with it. A hard limit (worker resourceLimits) is no answer: a worker that
// runs out of memory there can abort the whole process, intake included
// (nodejs/node#47224). So after each message, past a soft limit, a full
// collection runs; it costs a few ms against the tens a large message takes.
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full garbage collection on demand. V8 offers it only behind --expose-gc;
 * set now, the flag applies to contexts created afterwards, such as the one
 * made here to fetch the function.
 */
function exposedGc(): () => void {
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === 'function') return existing as () => void;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/**
 * Returns a check to call between messages: it collects when the memory in use
 * (heap and external buffers) passes `softLimitMb`, or twice what survived the
 * last collection if that is more (so a thread whose live data alone passes the
 * limit is not collected after every message). Returns whether it collected.
 */
export function heapGuard(softLimitMb: number): () => boolean {
  const collect = exposedGc();
  const softLimit = softLimitMb * 1024 * 1024;
  let liveAfterLast = 0;
  return () => {
    if (inUse() <= Math.max(softLimit, 2 * liveAfterLast)) return false;
    collect();
    liveAfterLast = inUse();
    return true;
  };
}

/** The JS heap plus the buffers it holds outside it (a message's bytes, decoded parts): both wait for the same collection. */
function inUse(): number {
  const { used_heap_size: heap, external_memory: external } = getHeapStatistics() as ReturnType<typeof getHeapStatistics> & { external_memory?: number };
  return heap + (external ?? 0);
}
