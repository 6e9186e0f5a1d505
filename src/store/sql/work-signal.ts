// Work written through a connection, told to whoever in this process waits
// for it (the server wakes its relay thread): an outbound message queued, an
// event recorded. Told once the transaction that wrote it commits, so the
// thread woken finds the rows; never when it rolls back. Other processes and
// nodes hear of work another way (PostgreSQL's NOTIFY, their own polls).
//
// Before that, a writer may say that work is coming (a send validated, its
// transaction about to start): a stopped thread that will do it can start
// now, its start overlapping the write. Only a hint: the write may still fail,
// and the work is handed over by the signal after the commit.

/** `outbound`: a message to send; `events`: webhook deliveries to make; `jobs`: messages to process. */
export type WorkKind = 'jobs' | 'events' | 'outbound';

export class WorkSignal {
  private readonly handlers: ((kind: WorkKind) => void)[] = [];
  private readonly comingHandlers: ((kind: WorkKind) => void)[] = [];

  on(handler: (kind: WorkKind) => void): () => void {
    return listen(this.handlers, handler);
  }

  emit(kind: WorkKind): void {
    for (const handler of [...this.handlers]) handler(kind);
  }

  /** Hears that work of a kind is about to be written (see coming). */
  onComing(handler: (kind: WorkKind) => void): () => void {
    return listen(this.comingHandlers, handler);
  }

  /** Work of `kind` is about to be written: whoever will do it may get ready (a hint; `emit` after the commit hands it over). */
  coming(kind: WorkKind): void {
    for (const handler of [...this.comingHandlers]) handler(kind);
  }
}

function listen(handlers: ((kind: WorkKind) => void)[], handler: (kind: WorkKind) => void): () => void {
  handlers.push(handler);
  return () => {
    const at = handlers.indexOf(handler);
    if (at >= 0) handlers.splice(at, 1);
  };
}
