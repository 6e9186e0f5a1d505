// Test keys and zones for authentication: a DKIM key pair made here, the zone
// entries that publish it, and signing with mailauth's own signer.
import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { dkimSign } from 'mailauth';

const require = createRequire(import.meta.url);
// mailauth's ARC sealer, as a forwarding server uses it (documented in its README).
const { sealMessage } = require('mailauth/lib/arc') as {
  sealMessage(message: Buffer, options: { signingDomain: string; selector: string; privateKey: string; authResults: string; cv: string }): Promise<Buffer>;
};

export interface TestSigner {
  domain: string;
  selector: string;
  privateKey: string;
  /** The TXT record for <selector>._domainkey.<domain>. */
  record: string;
}

export function makeSigner(domain: string, selector = 'sel1'): TestSigner {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  return { domain, selector, privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), record: `v=DKIM1; k=rsa; p=${der}` };
}

export async function sign(message: string, signer: TestSigner, canonicalization = 'relaxed/relaxed'): Promise<string> {
  // mailauth takes the keys in signatureData (top-level options are defaults for it).
  const { signatures } = await dkimSign(message, {
    signatureData: [{ signingDomain: signer.domain, selector: signer.selector, privateKey: signer.privateKey, canonicalization }],
  } as unknown as Parameters<typeof dkimSign>[1]);
  if (!signatures) throw new Error('the test message was not signed');
  return signatures + message;
}

/** The message as a forwarder passes it on: its Received line, then an ARC set sealing what it saw. */
export async function forwardWithArc(message: string, forwarder: TestSigner, authResults: string): Promise<string> {
  const received = `Received: from mail.example.org ([192.0.2.10]) by mx.${forwarder.domain}; Mon, 23 Nov 2026 10:00:01 +0000\r\n${message}`;
  const seal = await sealMessage(Buffer.from(received), {
    signingDomain: forwarder.domain,
    selector: forwarder.selector,
    privateKey: forwarder.privateKey,
    authResults,
    cv: 'none',
  });
  return seal.toString() + received;
}

/** A zone for example.org mail: SPF allowing 192.0.2.10, DMARC p=reject, the DKIM key. */
export function exampleZone(signer: TestSigner): Record<string, Record<string, string[] | 'SERVFAIL' | 'TIMEOUT'>> {
  return {
    'example.org': { TXT: ['v=spf1 ip4:192.0.2.10 -all'], MX: ['10 mx.example.org'], A: ['192.0.2.10'] },
    '_dmarc.example.org': { TXT: ['v=DMARC1; p=reject'] },
    [`${signer.selector}._domainkey.${signer.domain}`]: { TXT: [signer.record] },
  };
}

export function message(from: string, subject = 'Re: your application'): string {
  return `From: ${from}\r\nTo: careers@replies.acme.com\r\nSubject: ${subject}\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <m-${Math.random().toString(36).slice(2)}@example.org>\r\n\r\nHello, I am available on Tuesday.\r\n`;
}

/** The body of a person's Gmail-style forward of Jane Doe's application, sent to `inbox`. */
export function gmailForwardOfJane(inbox: string): string {
  return [
    'Please have a look at this one.',
    '',
    '---------- Forwarded message ---------',
    'From: Jane Doe <jane.doe@example.org>',
    'Date: Mon, 23 Nov 2026 at 10:00',
    'Subject: Application',
    `To: <${inbox}>`,
    '',
    'Hello, please find my portfolio attached.',
    '',
  ].join('\r\n');
}
