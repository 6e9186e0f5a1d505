// What email-reply-parser is handed. It spends tens of microseconds on every
// line it reads, and a long thread is mostly quoted history, which it hides or the
// reply-text stage cuts anyway: so it gets the first 32 KB, each run of quoted
// lines as one line, and nothing from an Outlook header block on. What it
// shows is the same as for the whole text on every text of the corpora (927).
import { findHeaderBlock } from '../parse/index.ts';
import { nextTextLine, pastForwardMarker } from './lines.ts';
import { ORIGINAL_MESSAGE } from './patterns.ts';

/**
 * How much of a body the reply parser reads. It costs ~25 µs a line (a battery
 * of patterns per line), so a long thread's 128 KB of quoted history took 50 ms;
 * what the sender wrote is at the top, and 32 KB is some 5,000 words of it.
 */
const SCAN_LIMIT = 32 * 1024;

/** The text up to the limit, cut at a line end so no line is read half. */
export function scanned(text: string): string {
  if (text.length <= SCAN_LIMIT) return text;
  const end = text.lastIndexOf('\n', SCAN_LIMIT);
  return text.slice(0, end > 0 ? end : SCAN_LIMIT);
}

/**
 * The text above the first header block ("From: / Sent: / To:", Outlook's way
 * of quoting a history, without quote marks) when there is text above it, not
 * just a "Forwarded message" line: everything from the block on is cut from
 * the reply anyway, and the parser would spend ~30 µs on each of its lines.
 * A block at the top (a forward) stays.
 */
function aboveHistory(text: string): string {
  const lines = text.split('\n');
  const block = findHeaderBlock(lines);
  if (!block) return text;
  // Past a leading "Forwarded message" line and the header lines under it (a forward's own block).
  const first = nextTextLine(lines);
  const ownText = ORIGINAL_MESSAGE.test(lines[first] ?? '') ? nextTextLine(lines, pastForwardMarker(lines, first)) : first;
  return block.start > ownText ? lines.slice(0, block.start).join('\n') : text;
}

/**
 * Each run of quoted lines ("> ..." one after another) as its first line. The
 * parser hides a run whole whatever its length, and no line that opens with ">"
 * can start a signature or a quote header for it, so what it shows is the same
 * (checked on every text of the corpora); a quoted history costs it ~40 µs a
 * line, and a long thread is mostly that.
 */
function withQuoteRunsShortened(text: string): string {
  return text.replace(/^(>.*)(?:\n>.*)+/gm, '$1');
}

/** The part of a body (LF line ends) that the reply parser needs to read. */
export function parserInput(text: string): string {
  return withQuoteRunsShortened(aboveHistory(scanned(text)));
}
