// The stage runner. Each stage is a function from plain data to plain data and
// re-running it on the same message gives the same result, so a job resumed after
// a crash is safe: authenticate -> parse -> classify (kind, forward) -> reply text.
// Matching (the next stage) slots in here.
import { authenticateMessage, type DnsResolver } from '../auth/index.ts';
import { classify } from '../classify/index.ts';
import { parseMessage, type ParsedMessage } from '../parse/index.ts';
import { replyText } from '../reply/index.ts';
import type { ClassificationSummary, Envelope, ProcessedMessage } from '../store/index.ts';

export interface PipelineInput {
  raw: Buffer;
  /** Null for a message read from a file (mailroom inspect). */
  envelope: Envelope | null;
  /** The job's last attempt: temporary failures are recorded instead of retried. */
  lastAttempt: boolean;
}

export interface PipelineDeps {
  resolver: DnsResolver;
  /** Our host name, the authserv-id of Authentication-Results. */
  mta: string;
  /** Where attachments are stored (content-addressed). */
  dataDir: string;
}

export interface PipelineResult {
  processed: ProcessedMessage;
}

/**
 * How much of a body the text stages read and the store keeps. What a person
 * wrote, a forward's header block and a bounce's explanation are at the top;
 * a megabyte of text would only cost memory and time.
 */
const TEXT_LIMIT = 128 * 1024;

function capped(parsed: ParsedMessage): ParsedMessage {
  const cut = (value: string | null): string | null => (value && value.length > TEXT_LIMIT ? value.slice(0, TEXT_LIMIT) : value);
  return { ...parsed, text: cut(parsed.text), html: cut(parsed.html) };
}

/** Reports a mail system wrote: no person wrote any new text in them (their details are in bounce or verification). */
const MACHINE_REPORTS = new Set(['bounce', 'feedback_report', 'forwarding_verification']);

/** Kind, forward, and the new text: a person's forward carries the forwarder's note as its new text. */
function understand(parsed: ParsedMessage, raw: Buffer, mailFrom: string | undefined): ClassificationSummary {
  const classification = classify(parsed, raw, mailFrom);
  if (MACHINE_REPORTS.has(classification.kind)) return { ...classification, replyText: null };
  const text = classification.forward?.manual ? classification.forward.note : replyText(parsed.text);
  return { ...classification, replyText: text };
}

export async function runPipeline(input: PipelineInput, deps: PipelineDeps): Promise<PipelineResult> {
  const { envelope } = input;
  const auth = await authenticateMessage({ raw: input.raw, envelope, mta: deps.mta, resolver: deps.resolver, lastAttempt: input.lastAttempt });
  let parsed: ParsedMessage;
  try {
    parsed = capped(await parseMessage(input.raw, deps.dataDir));
  } catch (err) {
    // Nothing is lost to bad input: the raw bytes stay, the message is visible as unparseable.
    const classification: ClassificationSummary = { kind: 'unparseable', bounce: null, autoReply: null, verification: null, forward: null, replyText: null, error: (err as Error).message };
    return { processed: { messageId: null, from: null, subject: null, auth, classification, attachments: [], parsed: null } };
  }
  return {
    processed: {
      messageId: parsed.messageId,
      from: parsed.from?.address ?? null,
      subject: parsed.subject,
      auth,
      classification: understand(parsed, input.raw, envelope?.mailFrom),
      attachments: parsed.attachments.map(({ filename, contentType, size, sha256 }) => ({ filename, contentType, size, sha256 })),
      parsed,
    },
  };
}
