// Our Received header (RFC 5321 section 4.4, RFC 5322 section 3.6.7): who
// connected, what they said in HELO, whether TLS was used, our id, and for whom.
import type { Envelope } from '../store/index.ts';

export function receivedHeader(envelope: Envelope, ourName: string, id: string, at: Date): string {
  const protocol = envelope.tls ? 'ESMTPS' : 'ESMTP';
  const tls = envelope.tls ? ` (using ${envelope.tls.protocol} with cipher ${envelope.tls.cipher})` : '';
  const forClause = envelope.rcptTo.length === 1 ? `\r\n\tfor <${envelope.rcptTo[0]}>` : '';
  const helo = envelope.helo.replace(/[^\x21-\x7e]/g, '?') || 'unknown';
  return (
    `Received: from ${helo} ([${envelope.clientIp}])\r\n` +
    `\tby ${ourName} (mailroom) with ${protocol}${tls} id ${id}${forClause};\r\n` +
    `\t${at.toUTCString().replace('GMT', '+0000')}\r\n`
  );
}
