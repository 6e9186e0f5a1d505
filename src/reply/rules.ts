// mailroom's own rules for reply text, in one place, each with its test
// (test/unit/reply-rules.test.ts). They read the shape of a text, not the words
// of one language: a quoted history starts where a line names a sender (an
// address) and a time and ends in a colon, or where a block of "label: value"
// lines does, in any script; a footer is known by where it stands and what it
// looks like. email-reply-parser (reply-text.ts) does the rest.
//
// Where a text is ambiguous they keep it: a recruiter can skip a quoted line,
// a sentence cut from a candidate is lost.

/** An address as it stands in a header or an attribution line. */
const ADDRESS = /[^\s<>()"'@]+@[^\s<>()"'@]+\.[^\s<>()"'@\]]{2,}/u;
/** A time of day (10:00, 10.00) or a CJK date (2026年12月1日): what every client's attribution and header block carries. */
const TIME = /(?<![\d.:])\d{1,2}[:.]\d{2}(?![\d])|\d{4}\s*年\s*\d{1,2}\s*月|\d{4}년\s*\d{1,2}월/u;
const YEAR = /(?<!\d)(?:19|20)\d{2}(?!\d)/;
const QUOTED = /^\s*>/;
/** A line that ends an introduction to what follows: a colon (any width) or a rule of dashes (Zoho's "wrote ---"). */
const ENDS_INTRO = /(?:[:：]|-{2,})\s*$/u;

const blank = (line: string | undefined): boolean => line === undefined || line.trim() === '';

function nextNonBlank(lines: readonly string[], from: number): number {
  let i = from;
  while (i < lines.length && blank(lines[i])) i++;
  return i;
}

/**
 * Where an attribution line starts ("On <date>, <sender> wrote:" in any language
 * and order, possibly wrapped over up to three lines): a sender's address and a
 * time or year, ending in a colon; or an address and a colon with quoted lines
 * right under it. -1 when there is none.
 */
export function attributionLine(lines: readonly string[], from = 0): number {
  for (let i = from; i < lines.length; i++) {
    const first = lines[i] as string;
    // The attribution starts on the line with the time, the year or the address, not on a line of the sender's above it.
    if (blank(first) || QUOTED.test(first) || !(TIME.test(first) || YEAR.test(first) || ADDRESS.test(first) || /<[^>]*@/.test(first))) continue;
    for (let size = 1; size <= 3 && i + size <= lines.length; size++) {
      const window = lines.slice(i, i + size);
      if (window.some((l, k) => k > 0 && (blank(l) || QUOTED.test(l)))) break;
      const joined = window.join(' ').trim();
      if (joined.length > 300 || !ENDS_INTRO.test(joined)) continue;
      const quotedBelow = QUOTED.test(lines[nextNonBlank(lines, i + size)] ?? '');
      const address = ADDRESS.test(joined) || /<[^>]*@/.test(joined);
      const dated = TIME.test(joined) || YEAR.test(joined);
      if ((address && dated) || (dated && quotedBelow && joined.length < 200) || (address && quotedBelow)) return i;
    }
  }
  return -1;
}

/** "Label: value" (or "Label：value", "**Label:** value") with a short label without digits: a header line in any script. */
const LABEL_LINE = /^\s*\**([^\d\s:：<>@"*][^\d:：<>@"*]{0,30}?)\**\s*[:：]\**\s*(.*)$/u;

function labelValue(line: string): string | null {
  const m = LABEL_LINE.exec(line);
  if (!m || (m[1] as string).trim().split(/\s+/).length > 4) return null;
  return (m[2] as string).trim();
}

/** A rule that opens a quoted history: dashes or underscores, perhaps with a few words between ("----- Original Message -----"). */
export const SEPARATOR = /^\s*(?:[-_=]{5,}|[-_=*]{2,}\s*[^-_=*:：\d]{1,40}?\s*[-_=*]{2,})\s*$/u;

/**
 * Where a header block starts (the lines a client puts above a quoted or
 * forwarded message: From, Sent, To, Subject, in any language and order): at
 * least two "label: value" lines in a row, one naming an address and one a
 * time; a separator line right above it belongs to it. -1 when there is none.
 */
export function headerBlockStart(lines: readonly string[], from = 0): number {
  for (let i = from; i < lines.length; i++) {
    if (labelValue(lines[i] as string) === null) continue;
    let end = i;
    const values: string[] = [];
    for (; end < lines.length; end++) {
      const value = labelValue(lines[end] as string);
      if (value === null) break;
      values.push(value);
    }
    if (values.length >= 2 && values.some((v) => ADDRESS.test(v)) && values.some((v) => TIME.test(v))) {
      let start = i;
      while (start > 0 && (SEPARATOR.test(lines[start - 1] as string) || blank(lines[start - 1]))) start--;
      // Only separators and blank lines were walked over: the block starts at the first separator, else at its first line.
      return nextNonBlank(lines, start);
    }
    i = end;
  }
  return -1;
}

/** Where a separator line opens a history: followed closely by a header line or an attribution. -1 when none does. */
export function historySeparator(lines: readonly string[], from = 0): number {
  for (let i = from; i < lines.length; i++) {
    if (!SEPARATOR.test(lines[i] as string) || /^\s*-- ?$/.test(lines[i] as string)) continue;
    const next = nextNonBlank(lines, i + 1);
    const line = lines[next];
    if (line !== undefined && (labelValue(line) !== null || attributionLine(lines.slice(next, next + 3)) === 0)) return i;
  }
  return -1;
}

/** Product names of phones and mail apps: what a client's own signature line names, in whatever language it is written. */
// Bounded by anything but a Latin letter: in Chinese or Japanese the name stands right next to other letters.
const DEVICE_OR_APP =
  /(?<![A-Za-z])(iPhone|iPad|iOS|Android|Galaxy|Samsung|Huawei|Xiaomi|Pixel|BlackBerry|Outlook|Proton ?Mail|Yahoo ?Mail|Spark|BlueMail)(?![A-Za-z])/iu;

/**
 * A client's own signature line ("Sent from my iPhone", "iPhoneから送信", "Get
 * Outlook for iOS"): short, naming a phone or an app, a paragraph of its own.
 */
export function isMobileSignature(line: string): boolean {
  const text = line.replace(/<https?:[^>]*>/g, '').trim();
  return text.length > 0 && text.length <= 60 && text.split(/\s+/).length <= 8 && DEVICE_OR_APP.test(text) && !/[?？!！]\s*$/u.test(text);
}

/** A mailing list's footer: a rule, then a few short lines naming the list's address or page, to the end. */
function listFooterStart(lines: readonly string[]): number {
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*[-_=]{10,}\s*$/.test(lines[i] as string)) continue;
    const rest = lines.slice(i + 1).filter((l) => !blank(l));
    if (rest.length > 0 && rest.length <= 8 && rest.some((l) => /https?:\/\/|@/.test(l)) && rest.every((l) => l.length <= 100)) return i;
  }
  return -1;
}

/** The paragraphs of a text: runs of non-blank lines, as [start, end) line indexes. */
function paragraphs(lines: readonly string[]): [number, number][] {
  const found: [number, number][] = [];
  for (let i = 0; i < lines.length;) {
    if (blank(lines[i])) {
      i++;
      continue;
    }
    let end = i;
    while (end < lines.length && !blank(lines[end])) end++;
    found.push([i, end]);
    i = end;
  }
  return found;
}

/**
 * A legal disclaimer: the last paragraph, long (a notice, not a greeting), and
 * right under a sign-off (a closing and a name: a few short lines). A P.S.
 * is the sender's.
 */
function disclaimerStart(lines: readonly string[]): number {
  const paras = paragraphs(lines);
  if (paras.length < 3) return -1;
  const [start, end] = paras[paras.length - 1] as [number, number];
  const [signStart, signEnd] = paras[paras.length - 2] as [number, number];
  const text = lines.slice(start, end).join(' ');
  const signOff = lines.slice(signStart, signEnd);
  const shortSignOff = signOff.length <= 4 && signOff.every((l) => l.trim().length <= 40);
  return text.length >= 120 && shortSignOff && !/^\s*P\.?\s?S\b/i.test(text) ? start : -1;
}

/** The text without what clients and servers put under it: a phone's or app's signature line, a list footer, a legal disclaimer. */
export function withoutFooters(lines: readonly string[]): string[] {
  let kept = [...lines];
  for (;;) {
    while (kept.length > 0 && blank(kept[kept.length - 1])) kept.pop();
    const last = kept.length - 1;
    const footer = listFooterStart(kept);
    const disclaimer = disclaimerStart(kept);
    if (footer > 0) kept = kept.slice(0, footer);
    else if (last > 0 && isMobileSignature(kept[last] as string) && blank(kept[last - 1])) kept = kept.slice(0, last);
    else if (disclaimer > 0) kept = kept.slice(0, disclaimer);
    else return kept;
  }
}

/** A quoted line a client re-wrapped without its ">": right under a long quoted line that does not end a sentence, with quoted text right under it. */
export function withRewrappedQuotes(lines: readonly string[]): string[] {
  const out = [...lines];
  for (let i = 1; i < out.length; i++) {
    const above = out[i - 1] as string;
    if (!QUOTED.test(above) || blank(out[i]) || QUOTED.test(out[i] as string)) continue;
    const content = above.replace(/^[\s>]+/, '');
    if (content.length < 40 || /[.!?:;。！？；]\s*$/u.test(content)) continue;
    // The run of unmarked lines must lead straight back into the quote.
    let end = i;
    while (end < out.length && !blank(out[end]) && !QUOTED.test(out[end] as string)) end++;
    if (end - i > 3 || !QUOTED.test(out[end] ?? '')) continue;
    const depth = /^[\s>]*/.exec(above)?.[0].replace(/\s/g, '') ?? '>';
    for (let k = i; k < end; k++) out[k] = `${depth} ${out[k] as string}`;
  }
  return out;
}

/**
 * An interleaved reply: the sender answered between the quoted lines. Then
 * the answers and the lines they answer are the reply, from the top to the
 * sender's last line; the attribution above and the quote left under it go.
 * Null when the text is not interleaved (no unquoted text between two
 * quoted runs).
 */
export function interleavedReply(lines: readonly string[]): string[] | null {
  const runs: { quoted: boolean; start: number; end: number }[] = [];
  lines.forEach((line, i) => {
    if (blank(line)) return;
    const quoted = QUOTED.test(line);
    const last = runs[runs.length - 1];
    if (last && last.quoted === quoted) last.end = i + 1;
    else runs.push({ quoted, start: i, end: i + 1 });
  });
  // An attribution between two quotes introduces the older message: it is no answer.
  const own = (r: { quoted: boolean; start: number; end: number }): boolean =>
    !r.quoted && !(r.end - r.start <= 3 && attributionLine(lines.slice(r.start, r.end + 1)) === 0);
  const between = runs.findIndex((r, k) => own(r) && k > 0 && runs[k - 1]?.quoted && runs.slice(k + 1).some((later) => later.quoted));
  if (between === -1) return null;
  // The quote must be one: opening the text, or introduced by an attribution right above it.
  const firstQuote = runs.find((r) => r.quoted)?.start as number;
  const found = attributionLine(lines);
  const attribution = found !== -1 && found < firstQuote && firstQuote - found <= 4 ? found : -1;
  if (firstQuote !== nextNonBlank(lines, 0) && attribution === -1) return null;
  const lastOwn = [...runs].reverse().find(own) as { end: number };
  const kept = lines.slice(0, lastOwn.end);
  return attribution === -1 ? kept : [...kept.slice(0, attribution), ...kept.slice(firstQuote)];
}

/** Lines that open like a phone's signature ("Sent from my ...") but are sentences: the reply parser must not take them for one. */
export function protectSentences(lines: readonly string[]): string[] {
  const opener = /^\s*(Sent|Envoyé|Enviado|Verzonden|Verstuurd|Sendt|Von|Get|Télécharger|Gesendet)\b/u;
  return lines.map((l) => (l.length > 60 && opener.test(l) ? `\u200b${l}` : l));
}

/**
 * Where the quoted history starts, by its shape: an attribution line, a header
 * block or a separator under the sender's text. -1 when there is none (or it
 * opens the text).
 */
export function historyStart(lines: readonly string[]): number {
  const cuts = [attributionLine(lines), headerBlockStart(lines), historySeparator(lines)].filter((i) => i > nextNonBlank(lines, 0));
  return cuts.length > 0 ? Math.min(...cuts) : -1;
}
