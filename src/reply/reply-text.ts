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
import { parserInput, scanned } from './parser-input.ts';
import { CLOSING, NAME_LINE, ORIGINAL_MESSAGE, WROTE } from './patterns.ts';
import {
  attributionLine,
  headerBlockStart,
  historySeparator,
  historyStart,
  interleavedReply,
  protectSentences,
  withoutFooters,
  withRewrappedQuotes,
} from './rules.ts';

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

/** Up to a signature delimiter ("-- "): the reply parser cuts there, an interleaved reply is cut here. */
function untilSignature(lines: string[]): string[] {
  const at = lines.findIndex((l) => /^-- ?$/.test(l));
  return at === -1 ? lines : lines.slice(0, at);
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
  if (!ORIGINAL_MESSAGE.test(line) && WROTE.test(line) && attribution(lines) === i) return lines.slice(i + 1);
  // The same by its shape, in any language: the attribution and the lines it wraps over, up to its colon.
  if (attributionLine(lines) !== i) return lines;
  let end = i;
  while (end < i + 3 && end < lines.length && !/[:：]\s*$/u.test(lines[end] as string)) end++;
  return lines.slice(end + 1);
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

/** Cut where the quoted history starts: a header block or an attribution line, found by its words or by its shape (rules.ts). */
function aboveHistory(lines: string[]): string[] {
  const cuts = [findHeaderBlock(lines)?.start ?? -1, attribution(lines), attributionLine(lines), headerBlockStart(lines), historySeparator(lines)].filter(
    (i) => i > 0,
  );
  return cuts.length > 0 ? lines.slice(0, Math.min(...cuts)) : lines;
}

export function replyText(text: string | null): string | null {
  if (!text) return null;
  // What the sender wrote is at the top: the rules read as far as the parser does.
  const source = withRewrappedQuotes(scanned(text.replace(/\r\n/g, '\n')).split('\n'));
  const interleaved = interleavedReply(source);
  // The history is cut by its shape before the parser reads the rest: its quote marks still tell an attribution from the sender's text.
  const history = historyStart(source);
  const own = history === -1 ? source : source.slice(0, history);
  const lines = interleaved
    ? untilSignature(interleaved)
    : aboveHistory(withoutLeadingHeaderBlock(withoutLeadingAttribution(unquoted(protectSentences(own).join('\n')).split('\n'))));
  const kept = withoutFooters(lines)
    .join('\n')
    .replace(/^\u200b/gm, '');
  // Trailing invisible marks some clients append (Gmail's U+1427) are not text.
  const reply = kept.replace(/[\s\u1427\u200b\ufeff]+$/u, '').trim();
  return reply || null;
}
