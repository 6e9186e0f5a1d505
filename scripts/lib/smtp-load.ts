// A lean SMTP load client for benchmarks: plain TCP, one transaction at a time per
// connection, timing from the end of DATA to the 250. Kept minimal on purpose so
// the client is not what limits the server under test.
import { connect, type Socket } from 'node:net';
import { percentile } from './stats.ts';

class Conversation {
  private readonly socket: Socket;
  private buffer = '';
  private pending: { resolve: (line: string) => void; reject: (err: Error) => void } | null = null;
  private failed: Error | null = null;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => {
      this.buffer += data;
      this.deliver();
    });
    const fail = (err: Error): void => {
      this.failed = err;
      this.pending?.reject(err);
      this.pending = null;
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  static open(port: number): Promise<Conversation> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => resolve(new Conversation(socket)));
      socket.once('error', reject);
    });
  }

  private deliver(): void {
    for (;;) {
      if (!this.pending) return;
      const end = this.buffer.indexOf('\r\n');
      if (end === -1) return;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      if (line[3] === '-') continue; // multi-line reply, wait for its last line
      const p = this.pending;
      this.pending = null;
      p.resolve(line);
    }
  }

  reply(): Promise<string> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.deliver();
    });
  }

  async expect(code: string, send?: string | Buffer): Promise<string> {
    if (send !== undefined) this.socket.write(send);
    const line = await this.reply();
    if (!line.startsWith(code)) throw new Error(`expected ${code}, got ${line}`);
    return line;
  }

  end(): void {
    this.socket.end('QUIT\r\n');
    this.socket.destroy();
  }
}

export interface LoadOptions {
  port: number;
  connections: number;
  /** Reuse each connection for many messages (true) or one message per connection. */
  persistent: boolean;
  message: Buffer;
  recipient: string;
  /** Stop starting new messages after this long. */
  seconds: number;
  /** ... or after this many messages, whichever comes first. */
  maxMessages: number;
}

export interface LoadResult {
  messages: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** The DATA payload for a message: dot-stuffed, ending with the terminator. */
export function dataPayload(message: Buffer): Buffer {
  const text = message.toString('latin1').replace(/\r\n\./g, '\r\n..');
  return Buffer.from(`${text.endsWith('\r\n') ? text : `${text}\r\n`}.\r\n`, 'latin1');
}

/** A message of about `size` bytes with CRLF lines. */
export function makeMessage(size: number, seq = 0): Buffer {
  const header = `From: bench@example.org\r\nTo: careers@replies.bench.example\r\nSubject: bench ${seq}\r\nMessage-ID: <bench-${seq}-${Date.now()}@example.org>\r\n\r\n`;
  const line = `${'lorem ipsum dolor sit amet '.repeat(3).slice(0, 76)}\r\n`;
  const body = line.repeat(Math.max(1, Math.ceil((size - header.length) / line.length)));
  return Buffer.from(header + body, 'latin1').subarray(0, Math.max(size, header.length + 2));
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const payload = dataPayload(options.message);
  const latencies: number[] = [];
  let started = 0;
  let errors = 0;
  const start = performance.now();
  const deadline = start + options.seconds * 1000;
  const more = (): boolean => performance.now() < deadline && started < options.maxMessages;

  async function transaction(c: Conversation): Promise<void> {
    await c.expect('250', 'MAIL FROM:<bench@example.org>\r\n');
    await c.expect('250', `RCPT TO:<${options.recipient}>\r\n`);
    await c.expect('354', 'DATA\r\n');
    const t0 = performance.now();
    await c.expect('250', payload);
    latencies.push(performance.now() - t0);
  }

  async function lane(): Promise<void> {
    let c: Conversation | null = null;
    while (more()) {
      started++;
      try {
        if (!c) {
          c = await Conversation.open(options.port);
          await c.expect('220');
          await c.expect('250', 'EHLO bench.example\r\n');
        }
        await transaction(c);
        if (!options.persistent) {
          c.end();
          c = null;
        }
      } catch {
        errors++;
        c?.end();
        c = null;
      }
    }
    c?.end();
  }

  await Promise.all(Array.from({ length: options.connections }, lane));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    messages: latencies.length,
    errors,
    seconds,
    perSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

export interface Outgoing {
  /** MAIL FROM. */
  from: string;
  raw: Buffer;
}

/** Sends each message once over `connections` persistent connections; resolves with when the first and last 250 came and the errors. */
export async function sendEach(
  port: number,
  connections: number,
  messages: readonly Outgoing[],
  recipient: string,
): Promise<{ firstAt: number; lastAt: number; sent: number; errors: number }> {
  let next = 0;
  let sent = 0;
  let errors = 0;
  let firstAt = Infinity;
  let lastAt = 0;
  async function lane(): Promise<void> {
    const c = await Conversation.open(port);
    await c.expect('220');
    await c.expect('250', 'EHLO bench.example\r\n');
    for (let i = next++; i < messages.length; i = next++) {
      const { from, raw } = messages[i] as Outgoing;
      try {
        await c.expect('250', `MAIL FROM:<${from}>\r\n`);
        await c.expect('250', `RCPT TO:<${recipient}>\r\n`);
        await c.expect('354', 'DATA\r\n');
        await c.expect('250', dataPayload(raw));
        const at = performance.now();
        firstAt = Math.min(firstAt, at);
        lastAt = at;
        sent++;
      } catch {
        errors++;
        await c.expect('250', 'RSET\r\n').catch(() => undefined);
      }
    }
    c.end();
  }
  await Promise.all(Array.from({ length: connections }, lane));
  return { firstAt, lastAt, sent, errors };
}
