// The patterns the reply-text stage reads lines with: attribution lines
// ("On ..., X wrote:") and forward markers in the clients' languages, and the
// closings email-reply-parser takes for signatures.

export const WROTE =
  /(wrote|schrieb|a écrit|escribió|escreveu|ha scritto|schreef|skrev|kirjoitti|írta|napsal|napisał(?:\(a\))?|napisała|написал|написала|написав|пише)\s*:?\s*$|\bschrieb am\b/iu;

export const ORIGINAL_MESSAGE =
  /^\s*[*_]*\s*-{2,}\s*(original message|forwarded message|weitergeleitete nachricht|mensaje original|mensagem original|ursprüngliche nachricht|message d'origine|messaggio originale|oorspronkelijk bericht|ursprungligt meddelande|oprindelig meddelelse|wiadomość oryginalna|исходное сообщение)\s*-{2,}\s*[*_]*\s*$/iu;

// The closings among email-reply-parser's signature starts (its others are
// separators and "Sent from my ..." lines, which are signatures proper).
export const CLOSING = /^\s*(cheers|best wishes|[\p{L} ]{0,20}regards|bien . vous|[\p{L} ]{0,20}cordialement|bonne (journ.e|soir.e))\s*[,.!！]*\s*$/iu;

// The name under a closing: short, and no address, link, number or quote.
export const NAME_LINE = /^(?!.*(:\/\/|www\.))[^\d@<>:|=_]{1,40}$/iu;
