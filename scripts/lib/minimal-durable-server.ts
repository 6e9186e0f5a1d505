// The intake benchmark's second baseline: the least a durable intake can do.
// smtp-server reads each message into memory; every message that completes DATA
// while the event loop is busy joins one transaction (group commit) on one
// better-sqlite3 connection in this same thread (WAL, synchronous=FULL: one
// fsync per batch); only after the commit does each client get its 250. No
// recipient routing, no limits, no spool files, no second thread: what is left
// is the cost of reading a message and making it durable. In its own process,
// like the sink. Prints its port on stdout; DATA_DIR names where the database goes.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

const db = new Database(join(process.env.DATA_DIR ?? '.', 'minimal-durable.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec('CREATE TABLE IF NOT EXISTS messages (id TEXT PRIMARY KEY, received_at TEXT NOT NULL, envelope TEXT NOT NULL, raw BLOB NOT NULL)');
const insert = db.prepare('INSERT INTO messages (id, received_at, envelope, raw) VALUES (?, ?, ?, ?)');

interface Pending {
  id: string;
  envelope: string;
  raw: Buffer;
  done: (err: Error | null, reply?: string) => void;
}

let batch: Pending[] = [];
let scheduled = false;

const commitAll = db.transaction((items: Pending[]) => {
  const at = new Date().toISOString();
  for (const m of items) insert.run(m.id, at, m.envelope, m.raw);
});

/** Commits everything that completed DATA since the last commit, once the loop has read what was waiting. */
function commit(): void {
  scheduled = false;
  const items = batch;
  batch = [];
  try {
    commitAll.immediate(items);
    for (const m of items) m.done(null, `queued as ${m.id}`);
  } catch (err) {
    for (const m of items) m.done(Object.assign(new Error('4.3.0 could not store the message, try again later'), { responseCode: 451, cause: err }));
  }
}

function envelopeOf(session: SMTPServerSession): string {
  return JSON.stringify({
    clientIp: session.remoteAddress,
    helo: session.hostNameAppearsAs,
    mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
    rcptTo: session.envelope.rcptTo.map((r) => r.address),
  });
}

const server = new SMTPServer({
  disabledCommands: ['AUTH', 'STARTTLS'],
  authOptional: true,
  disableReverseLookup: true,
  logger: false,
  size: 36_700_160,
  maxClients: 1000,
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      batch.push({ id: randomUUID(), envelope: envelopeOf(session), raw: Buffer.concat(chunks), done: callback });
      if (!scheduled) {
        scheduled = true;
        setImmediate(commit);
      }
    });
  },
});
server.on('error', () => undefined);
const net = server.listen(0, '127.0.0.1', () => {
  const address = net.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
process.on('SIGTERM', () =>
  server.close(() => {
    db.close();
    process.exit(0);
  }),
);
