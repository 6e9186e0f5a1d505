// The project's own labelled replies (fixtures/replies/*.txt): each case is a
// body as a client writes it, plain or HTML, with the reply text a person
// labelled. A case becomes a whole message here, so the evaluation runs the
// real path: mailparser (HTML to text), then the reply-text stage.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ReplyCase {
  id: string;
  client: string;
  language: string;
  format: 'plain' | 'html';
  layout: 'top' | 'interleaved' | 'bottom';
  body: string;
  expected: string;
}

function parseHeader(line: string, file: string): Omit<ReplyCase, 'body' | 'expected'> {
  const [id, client, language, format, layout] = line
    .slice('=== '.length)
    .split('|')
    .map((p) => p.trim());
  if (!id || !client || !language || (format !== 'plain' && format !== 'html') || (layout !== 'top' && layout !== 'interleaved' && layout !== 'bottom'))
    throw new Error(`${file}: a case header is "=== id | client | language | plain|html | top|interleaved|bottom", got "${line}"`);
  return { id, client, language, format, layout };
}

export function loadReplyCases(dir: string): ReplyCase[] {
  const cases: ReplyCase[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort()) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const chunk of text.split(/^(?==== )/m).filter((c) => c.startsWith('=== '))) {
      const [header, ...rest] = chunk.split('\n');
      const [body, expected] = rest.join('\n').split(/^--- expected\n/m);
      if (body === undefined || expected === undefined) throw new Error(`${file}: case "${header}" has no "--- expected" line`);
      cases.push({ ...parseHeader(header as string, file), body: body.replace(/\n$/, ''), expected: expected.replace(/\n+$/, '') });
    }
  }
  const ids = new Set<string>();
  for (const c of cases) {
    if (ids.has(c.id)) throw new Error(`two cases are named ${c.id}`);
    ids.add(c.id);
  }
  return cases;
}

/** The case as a message a client would send: From, To, Subject and the body as text/plain or text/html. */
export function caseMessage(c: ReplyCase): Buffer {
  const type = c.format === 'html' ? 'text/html' : 'text/plain';
  const body = Buffer.from(c.body.replace(/\r?\n/g, '\r\n'), 'utf8').toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    [
      'From: Candidate <candidate@example.org>',
      'To: Anna Weber <anna.weber@acme.com>',
      `Subject: Re: ${c.id}`,
      `Message-ID: <${c.id}@example.org>`,
      'MIME-Version: 1.0',
      `Content-Type: ${type}; charset=utf-8`,
      'Content-Transfer-Encoding: base64',
      '',
      body,
      '',
    ].join('\r\n'),
  );
}

/** Texts compared as a reader sees them: line ends, trailing spaces and runs of blank lines do not count. */
export function readerText(text: string | null): string {
  return (text ?? '')
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((l) => l.replace(/[\s\u00a0]+$/u, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
