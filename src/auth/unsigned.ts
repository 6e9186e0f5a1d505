// What mailauth's DKIM verifier reports for a message with neither a
// DKIM-Signature nor an ARC-Seal, read straight from the header block: the
// author addresses DMARC needs (every From field, group members included), the
// envelope sender, and the header rows. The verifier would run the header
// through a stream, byte by byte, to report "dkim=none" (a tenth of the
// pipeline's time on unsigned mail). The same mailauth header
// parser, nodemailer address parser and row formatter are used, so the result
// is the one dkimVerify gives; test/unit/auth.test.ts compares the two.
import { createRequire } from 'node:module';

interface HeaderRow {
  key: string | null;
  line: Buffer;
}

interface ParsedAddress {
  address?: string;
  group?: ParsedAddress[];
}

export interface UnsignedHeaderResult {
  results: { status: { result: 'none'; comment: string }; info: string }[];
  headerFrom: string[];
  fromFields: number;
  envelopeFrom: string | false;
  headers: { parsed: HeaderRow[] };
}

const require = createRequire(import.meta.url);
interface MailauthTools {
  parseHeaders(buf: Buffer): { parsed: HeaderRow[] };
  formatAuthHeaderRow(method: string, status: object): string;
}
let loadedTools: MailauthTools | null = null;
/**
 * mailauth's header tools, loaded at the first use: they require joi, ~10 MB of heap that the server's main thread
 * (which imports this module through the inbox test, never calling it there) would otherwise hold from its start.
 */
function tools(): MailauthTools {
  return (loadedTools ??= require('mailauth/lib/tools') as MailauthTools);
}
// The parser mailauth requires (package.json's overrides make it this project's nodemailer).
const addressparser = require('nodemailer/lib/addressparser') as (value: string) => ParsedAddress[];

/** A header field's value: what follows the first colon of its line. */
function valueOf(row: HeaderRow): string {
  const line = row.line.toString();
  const colon = line.indexOf(':');
  return (colon >= 0 ? line.slice(colon + 1) : line).trim();
}

function firstAddress(value: string): string | false {
  return addressparser(value)[0]?.address || false;
}

export function readUnsignedHeader(head: Buffer, sender: string | undefined): UnsignedHeaderResult {
  const { parseHeaders, formatAuthHeaderRow } = tools();
  const { parsed } = parseHeaders(head);
  const fromRows = parsed.filter((row) => row.key === 'from');
  const headerFrom: string[] = [];
  for (const row of fromRows) {
    for (const entry of addressparser(valueOf(row))) {
      // RFC 6854: the mailboxes of a group in From are authors like any other.
      for (const mailbox of entry.group ?? [entry]) if (mailbox.address) headerFrom.push(mailbox.address);
    }
  }
  const returnPath = parsed.filter((row) => row.key === 'return-path').pop();
  const envelopeFrom = sender ? firstAddress(sender) : returnPath ? firstAddress(valueOf(returnPath)) : false;
  const status = { result: 'none' as const, comment: 'message not signed' };
  return { results: [{ status, info: formatAuthHeaderRow('dkim', status) }], headerFrom, fromFields: fromRows.length, envelopeFrom, headers: { parsed } };
}
