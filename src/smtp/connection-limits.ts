// Per-client connection counting. smtp-server's maxClients caps the total;
// this caps one client (its key: an IPv4 address or an IPv6 /64, net/client-key.ts)
// so a single client cannot take every slot.

export class ConnectionLimiter {
  private readonly perIp = new Map<string, number>();
  private readonly bySession = new Map<string, string>();
  private readonly maxPerIp: number;

  constructor(maxPerIp: number) {
    this.maxPerIp = maxPerIp;
  }

  /** Counts the session in; false when its address already has the most allowed. */
  admit(sessionId: string, ip: string): boolean {
    const current = this.perIp.get(ip) ?? 0;
    if (current >= this.maxPerIp) return false;
    this.perIp.set(ip, current + 1);
    this.bySession.set(sessionId, ip);
    return true;
  }

  /** Counts the session out; harmless for a session that was never admitted. */
  release(sessionId: string): void {
    const ip = this.bySession.get(sessionId);
    if (ip === undefined) return;
    this.bySession.delete(sessionId);
    const left = (this.perIp.get(ip) ?? 1) - 1;
    if (left <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, left);
  }

  get active(): number {
    return this.bySession.size;
  }
}
