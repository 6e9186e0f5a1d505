// Auto-replies (out of office, vacation, autoresponders), after RFC 3834 and the
// headers the big mail systems set. X-Auto-Response-Suppress alone is not one:
// Outlook puts it on ordinary mail to ask others not to auto-reply.
import type { ParsedMessage } from '../parse/index.ts';

const SUBJECTS = [
  /\bout of (?:the )?office\b/i,
  /\bautomatic reply\b/i,
  /\bauto(?:matic)?[- ]?(?:reply|response)\b/i,
  /\bvacation\b/i,
  /\babwesenheitsnotiz\b/i,
  /\bautomatische antwort\b/i,
  /\bnicht im büro\b/i,
  /\bréponse automatique\b/i,
  /\babsence du bureau\b/i,
  /\brespuesta automática\b/i,
  /\bfuera de la oficina\b/i,
  /\brisposta automatica\b/i,
  /\bfuori sede\b/i,
  /\bautomatisch antwoord\b/i,
  /\bafwezig\b/i,
  /\bresposta automática\b/i,
  /\bautosvar\b/i,
  /\bautomaattinen vastaus\b/i,
  /\bodpowiedź automatyczna\b/i,
  /\bавтоматический ответ\b/i,
  /自動応答|自动回复|不在/,
  /\[auto[- ]?generated\]/i,
];

export function detectAutoReply(parsed: ParsedMessage): string | null {
  const h = parsed.headers;
  const autoSubmitted = (h['auto-submitted'] ?? '').toLowerCase();
  // RFC 3834 section 5: auto-replied and auto-generated; "no" means a person sent it.
  if (autoSubmitted && !autoSubmitted.startsWith('no')) return `Auto-Submitted: ${autoSubmitted}`;
  if (h['x-autoreply'] || h['x-autorespond'] || h['x-autoresponder']) return 'X-Autoreply';
  if (/^auto[_-]?reply$/i.test(h['precedence'] ?? '')) return 'Precedence: auto_reply';
  const subject = parsed.subject ?? '';
  const pattern = SUBJECTS.find((p) => p.test(subject));
  return pattern ? `subject matches ${pattern.source}` : null;
}
