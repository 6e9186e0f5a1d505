// Several pipeline threads as one: started, woken, paused and stopped together,
// and idle only once every one of them has said so since the group last had work.
import type { WorkerOptions } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { SupervisedThread } from '../../src/runtime/supervised-thread.ts';
import { ThreadGroup } from '../../src/runtime/thread-group.ts';

/** A thread that is never spawned: started and stopped by hand, reporting idle when told. */
class FakeThread extends SupervisedThread {
  on = false;
  heard: string[] = [];
  constructor() {
    super('fake', createLogger('silent'));
  }
  protected spawn(): { file: URL; options: WorkerOptions } {
    throw new Error('not spawned');
  }
  override get running(): boolean {
    return this.on;
  }
  override start(): void {
    this.on = true;
  }
  override async pause(): Promise<void> {
    this.on = false;
  }
  override notify(message: string): void {
    if (this.on) this.heard.push(message);
  }
}

describe('ThreadGroup', () => {
  it('starts, wakes and pauses every thread, and is idle when all of them are', async () => {
    const threads = [new FakeThread(), new FakeThread(), new FakeThread()];
    const group = new ThreadGroup(threads);
    const idle: (number | null)[] = [];
    group.onIdle = (next) => idle.push(next);
    expect(group.running).toBe(false);
    group.start();
    expect(group.runningCount).toBe(3);
    group.notify('wake');
    expect(threads.map((t) => t.heard)).toEqual([['wake'], ['wake'], ['wake']]);
    threads[0]!.onIdle(null);
    threads[1]!.onIdle(5);
    expect(idle).toEqual([]);
    // New work: the threads that were idle are busy again.
    group.notify('wake');
    threads[2]!.onIdle(7);
    expect(idle).toEqual([]);
    threads[0]!.onIdle(null);
    threads[1]!.onIdle(9);
    expect(idle).toEqual([9]);
    await group.pause();
    expect(group.running).toBe(false);
  });
});
