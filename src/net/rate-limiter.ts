// Rates a stranger may not exceed, as token buckets refilled continuously at
// `perMinute` a minute: a burst up to the capacity passes, a sustained flood is
// held at the rate. RateLimiter keeps one bucket per key (an API token, an SMTP
// client) and refuses what does not fit; DownloadBudget (http/send-file.ts)
// keeps one for every download and makes a chunk wait instead. In memory: a
// restart forgets the counts, which only ever lets a client through sooner.

/** A bucket of `capacity` tokens, refilled at `perMs` a millisecond; taking may run it into debt. */
export class TokenBucket {
  private readonly perMs: number;
  private readonly capacity: number;
  private tokens: number;
  private at: number;

  constructor(perMs: number, capacity: number, now: number) {
    this.perMs = perMs;
    this.capacity = capacity;
    this.tokens = capacity;
    this.at = now;
  }

  /** Tokens available now (negative: owed). */
  level(now: number): number {
    this.tokens = Math.min(this.capacity, this.tokens + Math.max(0, now - this.at) * this.perMs);
    this.at = now;
    return this.tokens;
  }

  take(count: number, now: number): void {
    this.tokens = this.level(now) - count;
  }

  /** Milliseconds until the level is back to `level`. */
  msUntil(level: number, now: number): number {
    return Math.max(0, (level - this.level(now)) / this.perMs);
  }

  full(now: number): boolean {
    return this.level(now) >= this.capacity;
  }
}

export class RateLimiter<K> {
  private readonly perMinute: number;
  private readonly buckets = new Map<K, TokenBucket>();
  private readonly nowMs: () => number;
  private lastSweep = 0;

  constructor(perMinute: number, nowMs: () => number = Date.now) {
    this.perMinute = perMinute;
    this.nowMs = nowMs;
  }

  /** Takes `count` for `key`: 0 when allowed, else the seconds until it would be (Retry-After). */
  take(key: K, count = 1): number {
    const now = this.nowMs();
    this.sweep(now);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.perMinute / 60_000, this.perMinute, now);
      this.buckets.set(key, bucket);
    }
    if (bucket.level(now) >= count) {
      bucket.take(count, now);
      return 0;
    }
    return Math.max(1, Math.ceil(bucket.msUntil(count, now) / 1000));
  }

  /** Idle clients' buckets are full again: forgotten, so the map stays small. */
  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) if (bucket.full(now)) this.buckets.delete(key);
  }
}
