// A raw SMTP client over a plain socket, for the conversations nodemailer will
// not have: bare line endings, resets, floods, slow drips, out-of-turn replies.
import { connect, type Socket } from 'node:net';

export interface Reply {
  code: number;
  lines: string[];
  text: string;
}

export class RawSmtp {
  readonly socket: Socket;
  private buffer = '';
  private waiting: ((reply: Reply | null) => void) | null = null;
  private replies: (Reply | null)[] = [];
  closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => {
      this.buffer += data;
      this.drain();
    });
    const onEnd = (): void => {
      this.closed = true;
      this.push(null);
    };
    socket.on('close', onEnd);
    socket.on('error', () => undefined);
  }

  static async connect(port: number): Promise<RawSmtp> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawSmtp(socket);
  }

  private drain(): void {
    const lines: string[] = [];
    for (;;) {
      const end = this.buffer.indexOf('\r\n');
      if (end === -1) break;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      lines.push(line);
      if (/^\d{3} /.test(line) || /^\d{3}$/.test(line)) {
        this.push({ code: Number(line.slice(0, 3)), lines: [...lines], text: lines.map((l) => l.slice(4)).join('\n') });
        lines.length = 0;
      }
    }
    if (lines.length) this.buffer = `${lines.join('\r\n')}\r\n${this.buffer}`;
  }

  private push(reply: Reply | null): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w(reply);
    } else this.replies.push(reply);
  }

  /** The next reply; null once the server closed the connection. */
  reply(timeoutMs = 10_000): Promise<Reply | null> {
    const queued = this.replies.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        reject(new Error('no SMTP reply in time'));
      }, timeoutMs);
      this.waiting = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async command(line: string): Promise<Reply | null> {
    this.write(`${line}\r\n`);
    return this.reply();
  }

  /** Greeting, EHLO, MAIL, RCPT(s) and DATA; returns the DATA reply (354 expected). */
  async startData(rcpts: string[], from = 'sender@example.org'): Promise<Reply | null> {
    await this.reply();
    await this.command('EHLO client.example.org');
    await this.command(`MAIL FROM:<${from}>`);
    for (const rcpt of rcpts) await this.command(`RCPT TO:<${rcpt}>`);
    return this.command('DATA');
  }

  close(): void {
    this.socket.destroy();
  }
}

export function queuedId(reply: Reply | null): string {
  const match = /queued as (\S+)/.exec(reply?.text ?? '');
  if (!match?.[1]) throw new Error(`not a queued reply: ${JSON.stringify(reply)}`);
  return match[1];
}
