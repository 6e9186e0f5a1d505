// The writer thread: owns its own connection to the database and commits the
// batches the main thread sends. The fsync happens here, so the SMTP event loop
// keeps serving clients meanwhile, and whatever arrives during one commit forms
// the next batch (group commit without a fixed wait).
import { parentPort, workerData } from 'node:worker_threads';
import { writeBatch } from './batch-writer.ts';
import { openDatabase } from './database.ts';
import { MessageStore, type NewMessage } from './messages.ts';

export interface WriteRequest {
  seq: number;
  batch: NewMessage[];
  nowMs: number;
}

const port = parentPort;
if (!port) throw new Error('writer-thread.ts runs as a worker thread');
const { dataDir, maxSizeMb } = workerData as { dataDir: string; maxSizeMb: number };
const db = openDatabase(dataDir, { maxSizeMb });
const store = new MessageStore(db);

port.on('message', (request: WriteRequest | 'close') => {
  if (request === 'close') {
    db.close();
    port.close();
    return;
  }
  // Buffers arrive as plain Uint8Arrays; better-sqlite3 binds those as blobs.
  const batch = request.batch.map((m) => ({ ...m, raw: Buffer.from(m.raw.buffer, m.raw.byteOffset, m.raw.byteLength) }));
  port.postMessage({ seq: request.seq, outcomes: writeBatch(store, batch, request.nowMs) });
});
