// A header block quoted inside a body ("From: / Sent: / To: / Subject:", in the
// mail clients' languages, often under a rule of dashes or underscores): how
// clients show the message that was replied to or forwarded. Reply text cuts
// there; forward detection reads the original sender from it.

const FIELD_NAMES: Record<string, 'from' | 'to' | 'cc' | 'date' | 'subject'> = {
  from: 'from',
  von: 'from',
  de: 'from',
  da: 'from',
  van: 'from',
  från: 'from',
  fra: 'from',
  od: 'from',
  от: 'from',
  lähettäjä: 'from',
  feladó: 'from',
  to: 'to',
  an: 'to',
  à: 'to',
  a: 'to',
  para: 'to',
  aan: 'to',
  till: 'to',
  til: 'to',
  do: 'to',
  кому: 'to',
  cc: 'cc',
  kopie: 'cc',
  copie: 'cc',
  sent: 'date',
  date: 'date',
  gesendet: 'date',
  datum: 'date',
  envoyé: 'date',
  data: 'date',
  enviado: 'date',
  fecha: 'date',
  verzonden: 'date',
  skickat: 'date',
  sendt: 'date',
  отправлено: 'date',
  subject: 'subject',
  betreff: 'subject',
  objet: 'subject',
  oggetto: 'subject',
  asunto: 'subject',
  assunto: 'subject',
  onderwerp: 'subject',
  ämne: 'subject',
  emne: 'subject',
  temat: 'subject',
  тема: 'subject',
  risposta: 'subject',
};

export interface HeaderBlock {
  /** First line of the block (a separator rule above it included). */
  start: number;
  /** The line after the block (its first empty line). */
  end: number;
  fields: Partial<Record<'from' | 'to' | 'cc' | 'date' | 'subject', string>>;
}

function field(line: string): { name: 'from' | 'to' | 'cc' | 'date' | 'subject'; value: string } | null {
  const match = /^\s*[*_]*([\p{L}]+)[*_]*\s*:[*_]*\s*(\S.*)$/u.exec(line);
  const name = match ? FIELD_NAMES[(match[1] as string).toLowerCase()] : undefined;
  return match && name ? { name, value: (match[2] as string).trim() } : null;
}

/** The first block that starts with a From-like line followed closely by another header line. */
export function findHeaderBlock(lines: readonly string[]): HeaderBlock | null {
  for (let i = 0; i < lines.length; i++) {
    const first = field(lines[i] as string);
    if (first?.name !== 'from') continue;
    if (!lines.slice(i + 1, i + 4).some((l) => field(l) !== null)) continue;
    let start = i;
    while (start > 0 && /^\s*([-_=—]{3,}|)\s*$/.test(lines[start - 1] as string)) start--;
    const fields: HeaderBlock['fields'] = {};
    let end = i;
    for (; end < lines.length && (lines[end] as string).trim() !== ''; end++) {
      const f = field(lines[end] as string);
      if (f && !(f.name in fields)) fields[f.name] = f.value;
    }
    return { start, end, fields };
  }
  return null;
}

/** An email address as it stands in running text (a report, a header line): the pattern's source, for building expressions with it. */
export const ADDRESS_IN_TEXT = '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}';
const ADDRESS = new RegExp(ADDRESS_IN_TEXT);

/** "Some One [mailto:some@one.com]", "Some One <some@one.com>" or "some@one.com" -> name and address. */
export function addressOf(value: string): { name: string; address: string } | null {
  const address = ADDRESS.exec(value)?.[0];
  if (!address) return null;
  const name = value
    .replace(/\[mailto:[^\]]*\]|<[^>]*>/g, '')
    .replace(address, '')
    .replace(/["']/g, '')
    .trim();
  return { name, address: address.toLowerCase() };
}
