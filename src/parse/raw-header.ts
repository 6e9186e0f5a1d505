// The header block of raw message bytes, without parsing anything: for the checks
// that need only the header (authentication, loop counting), so a large body is
// never turned into a string.

/** Past this, a message with no blank line is judged on its start. */
const NO_BODY_LIMIT = 256 * 1024;

/** The header block and the blank line after it (CRLF or bare LF), or the first 256 KB of a message without one. */
export function rawHeader(raw: Buffer): Buffer {
  const crlf = raw.indexOf('\r\n\r\n');
  // A bare-LF blank line counts only before the CRLF one: no need to scan the body for it.
  const lf = (crlf === -1 ? raw : raw.subarray(0, crlf)).indexOf('\n\n');
  const end = crlf !== -1 && (lf === -1 || crlf < lf) ? crlf + 4 : lf !== -1 ? lf + 2 : Math.min(raw.length, NO_BODY_LIMIT);
  return raw.subarray(0, end);
}
