// Work written through a connection, told to whoever in this process waits
// for it (the server wakes its relay thread): an outbound message queued, an
// event recorded. Told once the transaction that wrote it commits, so the
// thread woken finds the rows; never when it rolls back. Other processes and
// nodes hear of work another way (PostgreSQL's NOTIFY, their own polls).

/** `outbound`: a message to send; `events`: webhook deliveries to make; `jobs`: messages to process. */
export type WorkKind = 'jobs' | 'events' | 'outbound';

export class WorkSignal {
  private readonly handlers: ((kind: WorkKind) => void)[] = [];

  on(handler: (kind: WorkKind) => void): () => void {
    this.handlers.push(handler);
    return () => {
      const at = this.handlers.indexOf(handler);
      if (at >= 0) this.handlers.splice(at, 1);
    };
  }

  emit(kind: WorkKind): void {
    for (const handler of [...this.handlers]) handler(kind);
  }
}
