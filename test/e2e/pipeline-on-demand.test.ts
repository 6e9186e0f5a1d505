// The pipeline thread runs while there is work: a real server, real SMTP, a
// short worker.idleStopMs so the test sees it stop and start again.
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { queuedId } from '../helpers/raw-smtp.ts';
import { isProcessed, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';

let t: TestServer | null = null;
afterEach(async () => {
  await t?.cleanup();
  t = null;
});

async function send(port: number, n: number): Promise<string> {
  const info = await nodemailer
    .createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true })
    .sendMail({ from: 'jane@candidate.example', to: 'careers@replies.acme.com', subject: `Re: ${n}`, text: `Reply ${n}\r\n` });
  return queuedId({ code: 250, lines: [], text: info.response.slice(4) });
}

describe('the pipeline thread on demand', () => {
  it('is not running on an idle server, starts when mail is accepted, stops when idle and starts again for the next message', async () => {
    t = await startTestServer({ overrides: { worker: { idleStopMs: 300 } } });
    const server = t.server;
    expect(server.pipelineRunning).toBe(false);
    const first = await send(t.port, 1);
    await waitFor(() => isProcessed(t?.ctx.messages.get(first)?.status), 10_000, 'the first message processed');
    await waitFor(() => !server.pipelineRunning, 5_000, 'the idle thread to stop');
    const second = await send(t.port, 2);
    await waitFor(() => server.pipelineRunning, 5_000, 'the thread to start again');
    await waitFor(() => isProcessed(t?.ctx.messages.get(second)?.status), 10_000, 'the second message processed');
  });

  it('keeps running once started when idleStopMs is 0', async () => {
    t = await startTestServer({ overrides: { worker: { idleStopMs: 0 } } });
    const id = await send(t.port, 1);
    await waitFor(() => isProcessed(t?.ctx.messages.get(id)?.status), 10_000, 'the message processed');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(t.server.pipelineRunning).toBe(true);
  });
});
