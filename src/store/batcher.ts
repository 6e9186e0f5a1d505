// Lookups asked for during one turn of the event loop, answered by one
// statement: the pipeline matches a group of messages at once, each asking the
// same questions at about the same moment (its tenant, the routes of its
// recipients, the candidates of its senders), so a question per message
// becomes a question per group: one round trip on PostgreSQL where there were
// sixteen. Each caller still gets the answer to its own key only.

interface Waiting<V> {
  resolve: (value: V) => void;
  reject: (err: unknown) => void;
}

export class Batcher<V> {
  private waiting = new Map<string, Waiting<V>[]>();
  private scheduled = false;
  private readonly loadMany: (keys: string[]) => Promise<Map<string, V>>;
  private readonly missing: V;

  /** `loadMany` answers the keys it finds; a key it leaves out gets `missing`. */
  constructor(loadMany: (keys: string[]) => Promise<Map<string, V>>, missing: V) {
    this.loadMany = loadMany;
    this.missing = missing;
  }

  load(key: string): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      const list = this.waiting.get(key);
      if (list) list.push({ resolve, reject });
      else this.waiting.set(key, [{ resolve, reject }]);
      if (this.scheduled) return;
      this.scheduled = true;
      // After this turn's promise callbacks: the other messages of the group ask theirs meanwhile.
      setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const waiting = this.waiting;
    this.waiting = new Map();
    this.scheduled = false;
    try {
      const found = await this.loadMany([...waiting.keys()]);
      for (const [key, list] of waiting) for (const one of list) one.resolve(found.has(key) ? (found.get(key) as V) : this.missing);
    } catch (err) {
      for (const list of waiting.values()) for (const one of list) one.reject(err);
    }
  }
}

/** A key of two parts (a tenant and a value), and back. */
export function pairKey(tenantId: number, value: string): string {
  return `${tenantId} ${value}`;
}

export function splitPairKeys(keys: readonly string[]): { tenantIds: number[]; values: string[] } {
  const tenantIds = new Set<number>();
  const values = new Set<string>();
  for (const key of keys) {
    const at = key.indexOf(' ');
    tenantIds.add(Number(key.slice(0, at)));
    values.add(key.slice(at + 1));
  }
  return { tenantIds: [...tenantIds], values: [...values] };
}
