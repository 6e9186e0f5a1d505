// The new text the sender wrote: the body without the quoted history and the
// signature. email-reply-parser (GitHub's reply parser, ported) removes quoted
// lines, "On ... wrote:" and signatures; what it leaves of a forwarded or
// top-posted history that starts with a header block ("From: / Sent: / To:",
// in the clients' languages, often under a rule of dashes or underscores) is
// cut here. A closing ("Best regards," and the name under it) is something the
// sender wrote, so it stays; the parser counts it as the start of a signature.
// What the parser is handed of a long body: parser-input.ts.
import EmailReplyParser from 'email-reply-parser';
import { findHeaderBlock } from '../parse/index.ts';
import { nextTextLine, pastForwardMarker } from './lines.ts';
import { parserInput } from './parser-input.ts';
import { CLOSING, NAME_LINE, ORIGINAL_MESSAGE, WROTE } from './patterns.ts';

const parser = new EmailReplyParser();

function attribution(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (ORIGINAL_MESSAGE.test(line)) return i;
    if (/^\s*\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(:\d{2})?\s*(GMT|UTC)?[+-]?\d{0,2}:?\d{0,2}\b/.test(line)) return i;
    if (/^\s*\d{4}\/\d{1,2}\/\d{1,2}\s+\S.*<[^>]+@[^>]+>\s*$/.test(line)) return i;
    // "Some One <someone@example.org> wrote:" on a line of its own
    if (/@/.test(line) && WROTE.test(line)) return i;
    if (!/\d/.test(line)) continue;
    // A dated line that, with the next two, ends in "wrote:" in some language.
    const window = lines.slice(i, i + 3);
    if (window.some((l) => WROTE.test(l))) return i;
    if (
      /^\s*(On|At|Am|Le|El|Il|Op|Den)\b/.test(line) &&
      /<\s*$|>:\s*$|mailto:|(?<!\p{L})(wrote|schrieb|écrit|escribió|scritto|schreef|skrev)(?!\p{L})/iu.test(window.join(' '))
    )
      return i;
  }
  return -1;
}

/** A message that opens with a forwarded header block: what follows the block is the text. */
function withoutLeadingHeaderBlock(lines: string[]): string[] {
  const i = nextTextLine(lines);
  if (ORIGINAL_MESSAGE.test(lines[i] ?? '')) return lines.slice(pastForwardMarker(lines, i));
  const block = findHeaderBlock(lines);
  return block && block.start <= i ? lines.slice(block.end) : lines;
}

/**
 * A text that opens with a single attribution line ("On ..., X wrote:") and no
 * quote markers under it: a client that dropped the markers. The line is not
 * the sender's; what follows is all the text there is.
 */
function withoutLeadingAttribution(lines: string[]): string[] {
  const i = nextTextLine(lines);
  const line = lines[i] ?? '';
  return ORIGINAL_MESSAGE.test(line) || !WROTE.test(line) || attribution(lines) !== i ? lines : lines.slice(i + 1);
}

/** A signature the parser hid that opens with a closing: the closing and the name under it. */
function closingOf(signature: string): string | null {
  const lines = signature.split('\n');
  if (!CLOSING.test(lines[0] as string)) return null;
  const next = lines.slice(1, 4).findIndex((l) => l.trim() !== '');
  const name = next === -1 ? undefined : (lines[next + 1] as string).trim();
  return name !== undefined && NAME_LINE.test(name) && !WROTE.test(name) ? lines.slice(0, next + 2).join('\n') : (lines[0] as string);
}

/**
 * email-reply-parser's visible text, keeping the closing it takes for a
 * signature when the closing follows the text directly (a closing further down,
 * after something hidden, belongs to a history without quote marks).
 */
function unquoted(text: string): string {
  const kept: string[] = [];
  let hiddenBefore = false;
  for (const fragment of parser.read(parserInput(text)).getFragments()) {
    if (!fragment.isHidden()) {
      kept.push(fragment.getContent());
      continue;
    }
    const closing = fragment.isSignature() && !hiddenBefore ? closingOf(fragment.getContent()) : null;
    if (closing !== null) kept.push(closing);
    hiddenBefore = true;
  }
  return kept.join('\n').replace(/~*$/, '');
}

export function replyText(text: string | null): string | null {
  if (!text) return null;
  const lines = withoutLeadingHeaderBlock(withoutLeadingAttribution(unquoted(text.replace(/\r\n/g, '\n')).split('\n')));
  const cuts = [findHeaderBlock(lines)?.start ?? -1, attribution(lines)].filter((i) => i > 0);
  const cut = cuts.length > 0 ? Math.min(...cuts) : -1;
  const kept = (cut === -1 ? lines : lines.slice(0, cut)).join('\n');
  // Trailing invisible marks some clients append (Gmail's U+1427) are not text.
  const reply = kept.replace(/[\s\u1427\u200b\ufeff]+$/u, '').trim();
  return reply || null;
}
