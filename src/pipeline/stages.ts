// The stage runner. Each stage is a function from plain data to plain data and
// re-running it on the same message gives the same result, so a job resumed after
// a crash is safe: authenticate -> parse -> classify (kind, forward) -> reply text.
// Matching follows (match-stage.ts), called by the worker for each message.
//
// The worker hands over a group of messages and each stage runs over the whole
// group before the next begins (runPipelineGroup), rather than each message
// going through every stage in turn: one library's code at a time (mailauth,
// then mailparser) stays hot in the CPU's caches: markedly less CPU a message
// than each message going its own way (bench:pipeline prints both; the figures
// are in docs/architecture.md).
import { authenticateGroup, type AuthVerdicts } from '../auth/index.ts';
import type { DnsResolver } from '../dns/index.ts';
import { verdictsFromProvider } from '../auth/provider-results.ts';
import { classify } from '../classify/index.ts';
import { asError } from '../errors.ts';
import { eachInTurn } from '../runtime/in-turn.ts';
import { parseMessage, type ParsedMessage } from '../parse/index.ts';
import { replyText } from '../reply/index.ts';
import { storable, type ClassificationSummary, type Envelope, type ProcessedMessage } from '../store/index.ts';

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
  /** Domains whose ARC seal is believed about the sender (auth.trustedArcSealers). */
  trustedArcSealers?: readonly string[];
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

/** A message the parser could not read: the raw bytes stay, the message is visible as unparseable. */
function unparseable(auth: AuthVerdicts, err: Error): PipelineResult {
  const classification: ClassificationSummary = {
    kind: 'unparseable',
    bounce: null,
    autoReply: null,
    verification: null,
    forward: null,
    replyText: null,
    error: err.message,
  };
  return { processed: { messageId: null, from: null, subject: null, auth, classification, attachments: [], parsed: null } };
}

/**
 * Verdicts for the group: our own checks for mail received over SMTP, the
 * receiving provider's for mail read from an inbox over IMAP (we did not see
 * its SMTP conversation).
 */
async function authenticateAll(inputs: readonly PipelineInput[], deps: PipelineDeps, inFlight: number): Promise<(AuthVerdicts | Error)[]> {
  const trusted = deps.trustedArcSealers ?? [];
  const checked = inputs.filter((input) => !input.envelope?.imap);
  const ours = await authenticateGroup(
    checked.map((input) => ({
      raw: input.raw,
      envelope: input.envelope,
      mta: deps.mta,
      resolver: deps.resolver,
      lastAttempt: input.lastAttempt,
      trustedArcSealers: trusted,
    })),
    inFlight,
  );
  let next = 0;
  return inputs.map((input) => {
    const imap = input.envelope?.imap;
    return imap ? verdictsFromProvider(input.raw, imap.authservId, trusted) : (ours[next++] as AuthVerdicts | Error);
  });
}

/**
 * Every message of the group through the pipeline, a stage at a time, at most
 * `inFlight` messages at once within a stage (a message waiting on DNS or the
 * disk does not hold up the others). Each outcome is the message's result, or
 * the error that stopped it (a temporary DNS failure: the job is retried); one
 * message's failure does not touch the others.
 */
export async function runPipelineGroup(inputs: readonly PipelineInput[], deps: PipelineDeps, inFlight: number): Promise<(PipelineResult | Error)[]> {
  // What a message decoded to is stored (and matched) as every backend can keep it (store/storable-text.ts).
  return (await runStages(inputs, deps, inFlight)).map((outcome) => (outcome instanceof Error ? outcome : { processed: storable(outcome.processed) }));
}

async function runStages(inputs: readonly PipelineInput[], deps: PipelineDeps, inFlight: number): Promise<(PipelineResult | Error)[]> {
  const auths = await authenticateAll(inputs, deps, inFlight);
  const parses = await eachInTurn(inputs, inFlight, async (input, i) =>
    auths[i] instanceof Error ? null : capped(await parseMessage(input.raw, deps.dataDir)),
  );
  return inputs.map((input, i) => {
    const auth = auths[i] as AuthVerdicts | Error;
    if (auth instanceof Error) return auth;
    const parsed = parses[i] as ParsedMessage | Error;
    if (parsed instanceof Error) return unparseable(auth, parsed);
    try {
      return {
        processed: {
          messageId: parsed.messageId,
          from: parsed.from?.address ?? null,
          subject: parsed.subject,
          auth,
          classification: understand(parsed, input.raw, input.envelope?.mailFrom),
          attachments: parsed.attachments.map(({ filename, contentType, size, sha256 }) => ({ filename, contentType, size, sha256 })),
          parsed,
        },
      };
    } catch (err) {
      return asError(err);
    }
  });
}

/** One message through the pipeline (mailroom inspect); throws what would stop its job. */
export async function runPipeline(input: PipelineInput, deps: PipelineDeps): Promise<PipelineResult> {
  const [outcome] = await runPipelineGroup([input], deps, 1);
  if (outcome instanceof Error) throw outcome;
  return outcome as PipelineResult;
}
