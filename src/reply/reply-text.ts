// The new text the sender wrote: the body without the quoted history and the
// signature. email-reply-parser (GitHub's reply parser, ported) removes quoted
// lines, "On ... wrote:" and signatures; what it leaves of a forwarded or
// top-posted history that starts with a header block ("From: / Sent: / To:",
// in the clients' languages, often under a rule of dashes or underscores) is
// cut here.
import EmailReplyParser from 'email-reply-parser';

const parser = new EmailReplyParser();

const FROM_LABELS = ['from', 'von', 'de', 'da', 'van', 'från', 'fra', 'od', 'от', 'lähettäjä', 'feladó'];
const OTHER_LABELS = ['sent', 'date', 'to', 'subject', 'gesendet', 'datum', 'an', 'betreff', 'envoyé', 'date', 'à', 'objet', 'data', 'a', 'oggetto', 'enviado', 'para', 'asunto', 'verzonden', 'aan', 'onderwerp', 'skickat', 'till', 'ämne', 'risposta'];

function headerLabel(line: string): string | null {
  const match = /^\s*[*_]*([\p{L}]+)[*_]*\s*:[*_]*\s*\S/u.exec(line);
  return match ? (match[1] as string).toLowerCase() : null;
}

/** Index of the first line of an embedded header block (a From-like line with another header line right after), or -1. */
function embeddedHeaders(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const label = headerLabel(lines[i] as string);
    if (!label || !FROM_LABELS.includes(label)) continue;
    const next = lines.slice(i + 1, i + 4).map(headerLabel);
    if (next.some((l) => l !== null && OTHER_LABELS.includes(l))) {
      // Take a separator rule right above the block with it.
      let start = i;
      while (start > 0 && /^\s*([-_=—]{3,}|)\s*$/.test(lines[start - 1] as string)) start--;
      return start;
    }
  }
  return -1;
}

/** Index of the first attribution line left behind ("2016-03-03 17:21 GMT+01:00 Someone", "At ..., you wrote:"), or -1. */
const WROTE = /(wrote|schrieb|a écrit|escribió|escreveu|ha scritto|schreef|skrev|kirjoitti|írta|napsal|napisał(?:\(a\))?|napisała|написал|написала|написав|пише)\s*:?\s*$|\bschrieb am\b/iu;
const ORIGINAL_MESSAGE =
  /^\s*[*_]*\s*-{2,}\s*(original message|forwarded message|weitergeleitete nachricht|mensaje original|mensagem original|ursprüngliche nachricht|message d'origine|messaggio originale|oorspronkelijk bericht|ursprungligt meddelande|oprindelig meddelelse|wiadomość oryginalna|исходное сообщение)\s*-{2,}\s*[*_]*\s*$/iu;

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
    if (/^\s*(On|At|Am|Le|El|Il|Op|Den)\b/.test(line) && /<\s*$|>:\s*$|mailto:|\b(wrote|schrieb|écrit|escribió|scritto|schreef|skrev)\b/i.test(window.join(' '))) return i;
  }
  return -1;
}

/** A message that opens with a forwarded header block: what follows the block is the text. */
function withoutLeadingHeaderBlock(lines: string[]): string[] {
  let i = 0;
  while (i < lines.length && (lines[i] as string).trim() === '') i++;
  const first = lines[i] ?? '';
  const label = headerLabel(first);
  const separator = ORIGINAL_MESSAGE.test(first);
  if (!separator && !(label && FROM_LABELS.includes(label))) return lines;
  let end = separator ? i + 1 : i;
  while (end < lines.length && (lines[end] as string).trim() !== '') end++;
  return lines.slice(end);
}

export function replyText(text: string | null): string | null {
  if (!text) return null;
  const lines = withoutLeadingHeaderBlock(parser.parseReply(text).split(/\r?\n/));
  const cuts = [embeddedHeaders(lines), attribution(lines)].filter((i) => i > 0);
  const cut = cuts.length > 0 ? Math.min(...cuts) : -1;
  const kept = (cut === -1 ? lines : lines.slice(0, cut)).join('\n');
  // Trailing invisible marks some clients append (Gmail's U+1427) are not text.
  const reply = kept.replace(/[\s\u1427\u200b\ufeff]+$/u, '').trim();
  return reply || null;
}
