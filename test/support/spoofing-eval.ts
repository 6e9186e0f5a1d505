// The spoofing set (fixtures/spoofing, made by scripts/make-spoofing-fixtures.ts):
// each message goes through the real pipeline (authentication against the set's
// static DNS zone, parsing, classification) and the real matching stage, whose
// questions to the store are answered from the set's small world of one
// tenant, its candidates and one message we sent.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseZone, zoneResolver } from '../../src/dns/index.ts';
import type { CandidateRef, OutboundRef } from '../../src/match/index.ts';
import { matchMessage, type MatchSources } from '../../src/pipeline/match-stage.ts';
import { runPipeline } from '../../src/pipeline/stages.ts';
import type { Envelope } from '../../src/store/index.ts';

interface SpoofCase {
  file: string;
  kind: 'attack' | 'legitimate';
  what: string;
  envelope: { clientIp: string; helo: string; mailFrom: string; rcptTo: string[] };
  expected: { status: string; reason?: string; candidate?: string };
}

interface World {
  tenant: { domains: string[]; replyDomains: string[]; forwardAddresses: string[]; inboxes: string[] };
  candidates: { externalId: string; emails: string[] }[];
  outbound: { id: string; messageId: string; recipient: string; candidate: string }[];
  trustedArcSealers: string[];
}

function sourcesFor(world: World): MatchSources {
  const refs: CandidateRef[] = world.candidates.map((c, i) => ({ id: i + 1, externalId: c.externalId, name: c.externalId }));
  const byExternal = (id: string): CandidateRef | null => refs.find((r) => r.externalId === id) ?? null;
  const outbound = (o: World['outbound'][number]): OutboundRef => ({
    id: o.id,
    purpose: 'send',
    accountId: 1,
    candidate: byExternal(o.candidate),
    conversationId: 1,
    recipient: o.recipient,
  });
  const domainOf = (a: string): string => a.slice(a.lastIndexOf('@') + 1).toLowerCase();
  // As the store compares them: without angle brackets.
  const sent = (messageId: string | null): World['outbound'][number] | undefined =>
    world.outbound.find((o) => o.messageId === messageId?.replace(/^<|>$/g, ''));
  return {
    tenantOfMessage: async () => ({
      tenantId: 1,
      chain: [1],
      domains: world.tenant.domains,
      inboxes: world.tenant.inboxes,
    }),
    isOwnAddress: async (a: string) => world.tenant.forwardAddresses.includes(a.toLowerCase()) || world.tenant.replyDomains.includes(domainOf(a)),
    isForwardAddressOf: async (_tenantId, address) => world.tenant.forwardAddresses.includes(address.toLowerCase()),
    candidatesFor: async (_chain, address) =>
      world.candidates.filter((c) => c.emails.includes(address.toLowerCase())).map((c) => byExternal(c.externalId) as CandidateRef),
    ownOutbound: async (_chain, messageId) => {
      const o = sent(messageId);
      return o ? outbound(o) : null;
    },
    token: async () => null,
    thread: async () => null,
    answered: async () => null,
    bounceTarget: async (_chain, originalMessageId, recipient, hard) => {
      const byId = sent(originalMessageId);
      if (byId) return { outbound: outbound(byId), via: 'message_id', hard, recipient: recipient ?? byId.recipient };
      const byRecipient = world.outbound.find((o) => o.recipient === recipient?.toLowerCase());
      return byRecipient ? { outbound: outbound(byRecipient), via: 'recipient', hard, recipient: byRecipient.recipient } : null;
    },
  };
}

export interface SpoofingResult {
  attacks: { stopped: number; total: number };
  legitimate: { matched: number; total: number };
  misses: string[];
}

export async function evaluateSpoofing(dir: string, scratch: string): Promise<SpoofingResult> {
  const { world, cases } = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as { world: World; cases: SpoofCase[] };
  const resolver = zoneResolver(parseZone(readFileSync(join(dir, 'zone.json'), 'utf8'), 'zone.json'));
  const sources = sourcesFor(world);
  const result: SpoofingResult = { attacks: { stopped: 0, total: 0 }, legitimate: { matched: 0, total: 0 }, misses: [] };
  for (const c of cases) {
    const raw = readFileSync(join(dir, c.file));
    const envelope: Envelope = { ...c.envelope, sessionId: c.file, clientPort: 25, tls: null };
    const { processed } = await runPipeline(
      { raw, envelope, lastAttempt: true },
      { resolver, mta: 'mx.eval.test', dataDir: scratch, trustedArcSealers: world.trustedArcSealers },
    );
    const decision = await matchMessage(sources, c.file, processed, { raw, envelope });
    const got = { status: decision?.status, reason: decision?.reason ?? undefined, candidate: decision?.candidate?.externalId };
    const e = c.expected;
    const ok = got.status === e.status && (e.reason === undefined || got.reason === e.reason) && (e.candidate === undefined || got.candidate === e.candidate);
    // An attack counts as stopped when nothing was filed under a candidate; the reason is checked too.
    if (c.kind === 'attack') {
      result.attacks.total++;
      if (ok) result.attacks.stopped++;
    } else {
      result.legitimate.total++;
      if (ok) result.legitimate.matched++;
    }
    if (!ok) result.misses.push(`${c.file} (${c.what}): got ${got.status}/${got.reason ?? got.candidate}`);
  }
  return result;
}
