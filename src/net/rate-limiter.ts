// Rates a stranger may not exceed: a token bucket per key (an API token, an SMTP
// client), refilled continuously at `perMinute` a minute, so a burst up to the
// limit passes and a sustained flood is held at the rate. Kept in memory: a
// restart forgets the counts, which only ever lets a client through sooner.
// Buckets full again (idle clients) are dropped, so the map stays small.

export class RateLimiter<K> {
  private readonly perMinute: number;
  private readonly buckets = new Map<K, { tokens: number; at: number }>();
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
    const ratePerMs = this.perMinute / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + Math.max(0, now - bucket.at) * ratePerMs);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= count) {
      bucket.tokens -= count;
      return 0;
    }
    return Math.max(1, Math.ceil((count - bucket.tokens) / ratePerMs / 1000));
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    const ratePerMs = this.perMinute / 60_000;
    for (const [key, bucket] of this.buckets) if (bucket.tokens + (now - bucket.at) * ratePerMs >= this.perMinute) this.buckets.delete(key);
  }
}
