import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Context } from '../../src/context.ts';
import { createLogger } from '../../src/log.ts';
import { Worker, type WorkerDeps } from '../../src/pipeline/index.ts';
import { GroupedCompletions, LocalJobQueue, type JobQueue } from '../../src/commit/index.ts';
import type { Job, ProcessedMessage } from '../../src/store/index.ts';
import { zoneResolver, type DnsResolver } from '../../src/dns/index.ts';
import { seedTenants, waitFor } from '../helpers/server.ts';
import { messageJson } from '../../src/views/json.ts';

import { BACKENDS, contextOn } from '../helpers/backends.ts';

describe.each(BACKENDS)('on %s', (backend) => {
  let ctx: Context;
  let nowMs = 1_000_000;

  async function insertMessage(
    id: string,
    raw = 'From: a@b.example\r\nSubject: hi\r\nMessage-ID: <m1@b.example>\r\n\r\nbody\r\n',
    tenant = 'acme',
  ): Promise<void> {
    const tenantId = (await ctx.tenants.get(tenant))?.id as number;
    await ctx.messages.insertBatch(
      [
        {
          id,
          tenantId,
          receivedAt: new Date(nowMs).toISOString(),
          envelope: { sessionId: 's', clientIp: '127.0.0.1', clientPort: 1, helo: 'h', mailFrom: 'a@b.example', rcptTo: ['x@replies.acme.com'], tls: null },
          size: Buffer.byteLength(raw),
          raw: Buffer.from(raw),
          spoolFile: null,
        },
      ],
      nowMs,
    );
  }

  /** Messages received 10 ms apart, in this order. */
  async function insertInOrder(...ids: string[]): Promise<void> {
    for (const [i, id] of ids.entries()) {
      if (i > 0) nowMs += 10;
      await insertMessage(id);
    }
  }

  beforeEach(async () => {
    nowMs = 1_000_000;
    ctx = await contextOn(backend);
    await seedTenants(ctx);
  });
  afterEach(() => ctx.close());

  describe('job queue', () => {
    it('claims a due job once, with a lease', async () => {
      await insertMessage('01A');
      expect(await ctx.jobs.claim(nowMs, 1000)).toMatchObject([{ messageId: '01A', kind: 'pipeline', attempts: 1 }]);
      expect(await ctx.jobs.claim(nowMs, 1000)).toEqual([]);
    });

    it('claims several due jobs at once, oldest first, up to the limit', async () => {
      await insertInOrder('01A', '01B', '01C');
      expect((await ctx.jobs.claim(nowMs, 1000, 2)).map((j) => j.messageId)).toEqual(['01A', '01B']);
      expect((await ctx.jobs.claim(nowMs, 1000, 2)).map((j) => j.messageId)).toEqual(['01C']);
    });

    it('hands a job whose lease ran out to the next claimer, and only the holder can complete it', async () => {
      await insertMessage('01A');
      const [first] = await ctx.jobs.claim(nowMs, 1000);
      const [second] = await ctx.jobs.claim(nowMs + 1001, 1000);
      expect(second).toMatchObject({ messageId: '01A', attempts: 2 });
      let effects = 0;
      expect(await ctx.jobs.complete(first!, nowMs, async () => void effects++)).toBe(false);
      expect(await ctx.jobs.complete(second!, nowMs, async () => void effects++)).toBe(true);
      expect(await ctx.jobs.complete(second!, nowMs, async () => void effects++)).toBe(false);
      expect(effects).toBe(1);
      expect(await ctx.jobs.countByState()).toMatchObject({ done: 1, queued: 0, running: 0 });
    });

    it('claims a job tried before alone, so a message that kills the worker takes no other down with it', async () => {
      await insertInOrder('01A', '01B', '01C');
      // The worker died holding 01A and 01B (their lease is handed back, attempts kept).
      expect((await ctx.jobs.claim(nowMs, 1000, 2)).map((j) => j.messageId)).toEqual(['01A', '01B']);
      expect(await ctx.jobs.releaseOrphaned(nowMs)).toBe(2);
      expect(await ctx.jobs.claim(nowMs, 1000, 16)).toMatchObject([{ messageId: '01A', attempts: 2 }]);
      expect(await ctx.jobs.claim(nowMs, 1000, 16)).toMatchObject([{ messageId: '01B', attempts: 2 }]);
      // Fresh jobs still come together.
      nowMs += 10;
      await insertMessage('01D');
      expect((await ctx.jobs.claim(nowMs, 1000, 16)).map((j) => j.messageId)).toEqual(['01C', '01D']);
    });

    it('puts a retried job back after its delay', async () => {
      await insertMessage('01A');
      const [job] = await ctx.jobs.claim(nowMs, 1000);
      expect(await ctx.jobs.retryLater(job!, 'boom', nowMs + 5000, nowMs)).toBe(true);
      expect(await ctx.jobs.claim(nowMs + 4999, 1000)).toEqual([]);
      expect(await ctx.jobs.claim(nowMs + 5000, 1000)).toMatchObject([{ attempts: 2 }]);
    });
  });

  describe('outcomes committed in groups', () => {
    const summary = (subject: string): ProcessedMessage => ({
      messageId: null,
      from: 'a@b.example',
      subject,
      attachments: [],
      classification: { kind: 'reply', bounce: null, autoReply: null, verification: null, forward: null, replyText: null },
      auth: null,
      parsed: null,
      decision: null,
    });

    it('stores a group at once, and when one outcome fails, undoes it alone and stores the others', async () => {
      await insertInOrder('01A', '01B', '01C');
      const local = new LocalJobQueue(ctx, { announceEvents: false });
      // 01B's completion writes, then fails: its writes must go, the others' stay.
      const failing: JobQueue = Object.assign(Object.create(local) as JobQueue, {
        complete: async (job: Job, processed: ProcessedMessage, at: number) => {
          const done = await local.complete(job, processed, at);
          if (job.messageId === '01B') throw new Error('effects failed');
          return done;
        },
      });
      const jobs = await ctx.jobs.claim(nowMs, 60_000, 16);
      expect(jobs).toHaveLength(3);
      const grouped = new GroupedCompletions(failing, ctx);
      const results = await Promise.allSettled(jobs.map((job) => grouped.complete(job, summary(`s ${job.messageId}`), nowMs)));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((await ctx.messages.get('01A'))?.status).toBe('processed');
      expect((await ctx.messages.get('01B'))?.status).toBe('received');
      expect((await ctx.messages.get('01C'))?.status).toBe('processed');
      expect(await ctx.jobs.countByState()).toMatchObject({ done: 2, running: 1 });
      // A group where nothing fails, and a lease lost meanwhile: that one is discarded, not stored.
      nowMs += 10;
      await insertInOrder('01D', '01E');
      const [d, e] = await ctx.jobs.claim(nowMs, 60_000, 16);
      await ctx.jobs.retryLater(e!, 'taken back', nowMs, nowMs);
      const clean = new GroupedCompletions(local, ctx);
      expect(await Promise.all([clean.complete(d!, summary('d'), nowMs), clean.complete(e!, summary('e'), nowMs)])).toEqual([true, false]);
      expect((await ctx.messages.get('01D'))?.status).toBe('processed');
      expect((await ctx.messages.get('01E'))?.status).toBe('received');
    });
    it('gives each event of a group its own tenant, and fans it out to its parents’ webhooks', async () => {
      await ctx.tenants.add({ slug: 'acme-emea', name: 'Acme EMEA', parent: 'acme', domains: ['emea.acme.com'], replyDomains: [], forwardAddresses: [] });
      const acme = (await ctx.tenants.get('acme'))!.id;
      const emea = (await ctx.tenants.get('acme-emea'))!.id;
      const globex = (await ctx.tenants.get('globex'))!.id;
      const at = new Date(nowMs).toISOString();
      const parentHook = await ctx.webhooks.add(acme, 'https://hooks.acme.test/in', null, 'sealed', at);
      const globexHook = await ctx.webhooks.add(globex, 'https://hooks.globex.test/in', null, 'sealed', at);
      await insertMessage('01A', undefined, 'acme-emea');
      nowMs += 10;
      await insertMessage('01B', undefined, 'globex');
      nowMs += 10;
      await insertMessage('01C', undefined, 'acme');
      const jobs = await ctx.jobs.claim(nowMs, 60_000, 16);
      expect(jobs).toHaveLength(3);
      const unassigned = (subject: string): ProcessedMessage => ({
        ...summary(subject),
        decision: { status: 'unassigned', method: null, reason: 'unknown_sender', candidate: null, suggestions: [], evidence: {} },
      });
      const grouped = new GroupedCompletions(new LocalJobQueue(ctx, { announceEvents: false }), ctx);
      expect(await Promise.all(jobs.map((job) => grouped.complete(job, unassigned(job.messageId), nowMs)))).toEqual([true, true, true]);
      const events = (await ctx.sql.prepare('SELECT subject, payload FROM events').all()) as { subject: string; payload: string }[];
      expect(events.map((e) => `${e.subject} ${(JSON.parse(e.payload) as { tenant: string }).tenant}`).sort()).toEqual([
        '01A acme-emea',
        '01B globex',
        '01C acme',
      ]);
      const deliveries = (await ctx.sql.prepare('SELECT e.tenant_id, d.webhook_id FROM webhook_deliveries d JOIN events e ON e.id = d.event_id').all()) as {
        tenant_id: number;
        webhook_id: number;
      }[];
      expect(deliveries.map((d) => `${Number(d.tenant_id)} ${Number(d.webhook_id)}`).sort()).toEqual(
        [`${emea} ${parentHook.id}`, `${globex} ${globexHook.id}`, `${acme} ${parentHook.id}`].sort(),
      );
      expect(await ctx.jobs.countByState()).toMatchObject({ done: 3, running: 0 });
    });

    describe('a group’s conversations, message rows and events, written at once', () => {
      type Person = { id: number; externalId: string; name: string };
      const iso = (ms: number): string => new Date(ms).toISOString();

      async function candidates(...names: string[]): Promise<Person[]> {
        const people: Person[] = [];
        for (const name of names) {
          const { candidate } = await ctx.candidates.upsert('acme', { externalId: name, name, emails: [`${name}@candidate.example`] });
          people.push({ id: candidate.id, externalId: candidate.externalId, name: candidate.name });
        }
        return people;
      }

      const assigned = (subject: string, candidate: Person, conversationId: number | null = null): ProcessedMessage => ({
        ...summary(subject),
        decision: { status: 'assigned', method: 'sender', reason: null, candidate, suggestions: [], evidence: {}, conversationId },
      });

      /** Completes the claimed jobs as one group, the i-th with outcomes[i] at its own time; each result settled. */
      async function completeGroup(outcomes: [ProcessedMessage, number][], queue: JobQueue = new LocalJobQueue(ctx, { announceEvents: false })) {
        const jobs = await ctx.jobs.claim(nowMs, 60_000, 16);
        expect(jobs).toHaveLength(outcomes.length);
        const grouped = new GroupedCompletions(queue, ctx);
        return await Promise.allSettled(jobs.map((job, i) => grouped.complete(job, outcomes[i]![0], outcomes[i]![1])));
      }

      const eventsBySubject = async (): Promise<Map<string, { type: string; data: { message: Record<string, unknown> } }>> => {
        const rows = (await ctx.sql.prepare('SELECT subject, payload FROM events').all()) as { subject: string; payload: string }[];
        return new Map(rows.map((row) => [row.subject, JSON.parse(row.payload) as { type: string; data: { message: Record<string, unknown> } }]));
      };

      it('places the messages as one after another would: those that open the same conversation share one row, which ends at the latest of them', async () => {
        const acme = (await ctx.tenants.get('acme'))!.id;
        const [jane, joe, ann] = (await candidates('jane', 'joe', 'ann')) as [Person, Person, Person];
        const olderAt = iso(nowMs - 2000);
        const older = await ctx.conversations.open(acme, joe.id, 'Interview', olderAt);
        const later = await ctx.conversations.open(acme, joe.id, 'Interview', iso(nowMs - 1000));
        // Outreach to an address nobody knew: the first candidate who names it takes it.
        const outreach = await ctx.conversations.open(acme, null, 'Offer', iso(nowMs - 1000));
        await insertInOrder('01A', '01B', '01C', '01D', '01E', '01F', '01G');
        const t = nowMs;
        const results = await completeGroup([
          [assigned('Hello', jane), t + 1], // opens Jane's "Hello"
          [assigned('Re: Interview', joe), t + 2], // joins Joe's latest "Interview"
          [assigned('RE: Hello', jane), t + 9], // joins 01A's
          [assigned('Offer', ann, outreach), t + 3],
          [assigned('Offer', jane, outreach), t + 4], // the same outreach: one of Ann and Jane takes it, the other opens "Offer" of her own
          [assigned('Interview', joe, later), t + 6], // names Joe's later one: that one
          [assigned('Fwd: Re: Hello', jane), t + 5], // joins 01A's, whose last message stays 01C's
        ]);
        expect(results.map((r) => r.status === 'fulfilled' && r.value)).toEqual([true, true, true, true, true, true, true]);
        const filed = new Map<string, number | null>();
        for (const id of ['01A', '01B', '01C', '01D', '01E', '01F', '01G']) {
          const message = (await ctx.messages.get(id))!;
          expect(message.status).toBe('assigned');
          expect(message.decision?.conversationId).toBe(message.conversationId);
          filed.set(id, message.conversationId);
        }
        const hello = (await ctx.conversations.ofCandidate(jane.id, null, 10)).filter((c) => c.subject === 'Hello');
        expect(hello).toHaveLength(1);
        expect(hello[0]).toMatchObject({ createdAt: iso(t + 1), lastMessageAt: iso(t + 9) });
        expect([filed.get('01A'), filed.get('01C'), filed.get('01G')]).toEqual([hello[0]!.id, hello[0]!.id, hello[0]!.id]);
        expect(filed.get('01B')).toBe(later);
        expect(filed.get('01F')).toBe(later);
        expect(await ctx.conversations.get(later)).toMatchObject({ lastMessageAt: iso(t + 6) });
        expect(await ctx.conversations.get(older)).toMatchObject({ lastMessageAt: olderAt });
        const taker = filed.get('01D') === outreach ? ann : jane;
        const other = taker === ann ? '01E' : '01D';
        expect([filed.get('01D'), filed.get('01E')]).toContain(outreach);
        expect(await ctx.conversations.get(outreach)).toMatchObject({ candidateId: taker.id });
        expect(await ctx.conversations.get(filed.get(other)!)).toMatchObject({ candidateId: (taker === ann ? jane : ann).id, subject: 'Offer' });
        expect(await ctx.sql.prepare('SELECT COUNT(*) FROM conversations').pluck().get()).toEqual(5);
      });

      it('writes nothing for a job whose lease was lost, and the rest of its group', async () => {
        const [jane, joe, ann] = (await candidates('jane', 'joe', 'ann')) as [Person, Person, Person];
        await insertInOrder('01A', '01B', '01C');
        const jobs = await ctx.jobs.claim(nowMs, 60_000, 16);
        // 01B's lease is taken back meanwhile (as when it ran out and another worker claimed it).
        await ctx.jobs.retryLater(jobs[1]!, 'taken back', nowMs, nowMs);
        const grouped = new GroupedCompletions(new LocalJobQueue(ctx, { announceEvents: false }), ctx);
        const outcomes = [assigned('a', jane), assigned('b', joe), assigned('c', ann)];
        expect(await Promise.all(jobs.map((job, i) => grouped.complete(job, outcomes[i]!, nowMs)))).toEqual([true, false, true]);
        expect(await ctx.messages.get('01B')).toMatchObject({ status: 'received', decision: null, conversationId: null, processedAt: null });
        expect(await ctx.messages.parsed('01B')).toBeNull();
        expect(await ctx.conversations.ofCandidate(joe.id, null, 10)).toEqual([]);
        expect((await ctx.messages.get('01A'))?.status).toBe('assigned');
        expect((await ctx.messages.get('01C'))?.status).toBe('assigned');
        expect([...(await eventsBySubject()).keys()].sort()).toEqual(['01A', '01C']);
      });

      it('when one outcome of a group fails, undoes it alone and stores the others with their conversations and events', async () => {
        const [jane, ann] = (await candidates('jane', 'ann')) as [Person, Person];
        await insertInOrder('01A', '01B', '01C');
        // 01B's candidate is gone (removed since matching): its conversation cannot be stored.
        const gone = { id: 999_999, externalId: 'gone', name: 'Gone' };
        const results = await completeGroup([
          [assigned('Hello', jane), nowMs],
          [assigned('Hello', gone), nowMs],
          [assigned('Hello', ann), nowMs],
        ]);
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect((await ctx.messages.get('01B'))?.status).toBe('received');
        for (const [id, person] of [
          ['01A', jane],
          ['01C', ann],
        ] as const) {
          const [conversation] = await ctx.conversations.ofCandidate(person.id, null, 10);
          expect(await ctx.messages.get(id)).toMatchObject({ status: 'assigned', conversationId: conversation!.id });
        }
        expect([...(await eventsBySubject()).keys()].sort()).toEqual(['01A', '01C']);
        expect(await ctx.jobs.countByState()).toMatchObject({ done: 2, running: 1 });
      });

      it('gives the events the payloads of messages completed one by one: the rows as stored, read back', async () => {
        const [jane, joe] = (await candidates('jane', 'joe')) as [Person, Person];
        for (const id of ['01A', '01B', '01C', '01D']) await insertMessage(id);
        const rich = (subject: string, candidate: Person): ProcessedMessage => ({
          ...assigned(subject, candidate),
          messageId: `<${subject}@candidate.example>`,
          from: 'someone@candidate.example',
          auth: {
            spf: 'pass',
            dkim: 'pass',
            dmarc: 'pass',
            arc: 'none',
            dmarcDomain: 'candidate.example',
            dmarcPolicy: 'none',
            dkimDomains: [],
            authenticationResults: 'mx; dkim=pass',
          },
          attachments: [{ filename: 'cv.pdf', contentType: 'application/pdf', size: 3, sha256: 'ab'.repeat(32) }],
          classification: { ...summary(subject).classification, replyText: `Thanks — ${subject}` },
          parsed: { subject } as unknown as ProcessedMessage['parsed'],
        });
        const local = new LocalJobQueue(ctx, { announceEvents: false });
        const [a, b, c, d] = await ctx.jobs.claim(nowMs, 60_000, 16);
        // 01A and 01B one by one (each alone, as the store thread writes them), 01C and 01D as one group.
        expect(await local.complete(a!, rich('one', jane), nowMs)).toBe(true);
        expect(await local.complete(b!, rich('two', jane), nowMs)).toBe(true);
        const grouped = new GroupedCompletions(local, ctx);
        expect(await Promise.all([grouped.complete(c!, rich('one', joe), nowMs), grouped.complete(d!, rich('two', joe), nowMs)])).toEqual([true, true]);
        const events = await eventsBySubject();
        const alike = (id: string): unknown => {
          const message = { ...events.get(id)!.data.message };
          for (const key of ['id', 'candidate', 'conversationId', 'attachments']) delete message[key];
          const attachments = (events.get(id)!.data.message.attachments as { url: string }[]).map(({ url, ...rest }) => ({
            ...rest,
            url: url.replace(id, ''),
          }));
          return { type: events.get(id)!.type, message, attachments };
        };
        expect(alike('01C')).toEqual(alike('01A'));
        expect(alike('01D')).toEqual(alike('01B'));
        for (const id of ['01A', '01B', '01C', '01D']) {
          const stored = (await ctx.messages.get(id))!;
          expect(events.get(id)!.data.message).toEqual(JSON.parse(JSON.stringify(messageJson(stored))));
          expect(await ctx.messages.parsed(id)).toEqual({ subject: stored.subject });
        }
        const refs = (await ctx.sql.prepare('SELECT message_id FROM attachment_refs ORDER BY message_id').pluck().all()) as string[];
        expect(refs).toEqual(['01A', '01B', '01C', '01D']);
      });
    });
  });

  describe('worker', () => {
    function worker(
      maxAttempts = 3,
      idle?: { idleStopMs: number; onIdle: (nextDueAt: number | null) => void },
      options: {
        readMessage?: WorkerDeps['readMessage'];
        readMessages?: WorkerDeps['readMessages'];
        resolver?: DnsResolver;
        queue?: JobQueue;
        burstPauseMs?: number;
        clock?: () => number;
      } = {},
    ): Worker {
      return new Worker({
        settings: {
          pollIntervalMs: 20,
          concurrency: 4,
          leaseMs: 60_000,
          maxAttempts,
          retryBaseMs: 1000,
          retryMaxMs: 60_000,
          burstPauseMs: options.burstPauseMs ?? 0,
          idleStopMs: idle?.idleStopMs ?? 0,
          startDelayMaxMs: 10_000,
          heapSoftLimitMb: 64,
        },
        ...(idle ? { onIdle: idle.onIdle } : {}),
        queue: options.queue ?? new LocalJobQueue(ctx),
        readMessage: options.readMessage ?? (async (id) => await ctx.raw.readWithEnvelope(id)),
        ...(options.readMessages ? { readMessages: options.readMessages } : {}),
        pipeline: { resolver: options.resolver ?? zoneResolver({}), mta: 'mx.mailroom.test', dataDir: ctx.config.data.dir },
        log: createLogger('silent'),
        nowMs: options.clock ?? (() => nowMs),
      });
    }

    it('processes a message and records its header summary', async () => {
      await insertMessage('01A');
      const w = worker();
      w.start();
      await waitFor(async () => (await ctx.messages.get('01A'))?.status === 'processed');
      await w.stop();
      expect(await ctx.messages.get('01A')).toMatchObject({ messageId: '<m1@b.example>', from: 'a@b.example', subject: 'hi' });
    });

    it('takes a claimed batch through the pipeline in groups of at most 4 MB of messages, a larger one alone', async () => {
      const sizesMb = [1.5, 1.5, 1.5, 0.001, 5, 1.5, 0.001, 1.5];
      for (const [i, mb] of sizesMb.entries()) {
        nowMs += 10;
        await insertMessage(
          `01M${i}`,
          `From: a@b.example\r\nSubject: part ${i}\r\n\r\n${'x'
            .repeat(76)
            .concat('\r\n')
            .repeat(Math.ceil((mb * 1048576) / 78))}`,
        );
      }
      // What the worker holds at each read: the messages read and not yet released (release empties a buffer).
      const held: Buffer[] = [];
      let mostHeldMb = 0;
      const w = worker(3, undefined, {
        readMessage: async (id) => {
          const message = await ctx.raw.readWithEnvelope(id);
          const heldMb = held.reduce((n, raw) => n + raw.length, 0) / 1048576;
          mostHeldMb = Math.max(mostHeldMb, heldMb);
          if (message) held.push(message.raw);
          return message;
        },
      });
      w.start();
      await waitFor(async () => (await Promise.all(sizesMb.map((_, i) => ctx.messages.get(`01M${i}`)))).every((m) => m?.status === 'processed'), 20_000);
      await w.stop();
      expect(held).toHaveLength(sizesMb.length);
      // All eight came in one claim; without groups all 16 MB would be held at the last read.
      expect(mostHeldMb).toBeGreaterThan(2.9);
      expect(mostHeldMb).toBeLessThanOrEqual(4);
      expect((await ctx.messages.get('01M4'))?.subject).toBe('part 4');
    });

    it('claims the next batch before completing a full one, and processes a batch claimed ahead before it stops', async () => {
      const ids = Array.from({ length: 40 }, (_, i) => `01Q${String(i).padStart(2, '0')}`);
      await insertInOrder(...ids);
      const local = new LocalJobQueue(ctx);
      const calls: string[] = [];
      const stop: { done: Promise<void> | null } = { done: null };
      const w: Worker = worker(3, undefined, {
        queue: {
          claim: async (...args) => {
            const jobs = await local.claim(...args);
            calls.push(`claim ${jobs.length}`);
            return jobs;
          },
          complete: async (job, summary, at) => {
            calls.push('complete');
            // Stopped while the second batch is claimed ahead: it must still be processed, not left to its lease.
            if (calls.filter((c) => c === 'claim 16').length === 2) stop.done ??= w.stop();
            return await local.complete(job, summary, at);
          },
          fail: (...args) => local.fail(...args),
          retryLater: (...args) => local.retryLater(...args),
          nextDueAt: () => local.nextDueAt(),
        },
      });
      w.start();
      await waitFor(() => stop.done !== null, 20_000);
      await stop.done;
      // The second claim went out before the first batch's completions (on SQLite they would have made it wait).
      expect(calls.slice(0, 3)).toEqual(['claim 16', 'claim 16', 'complete']);
      expect(await ctx.jobs.countByState()).toMatchObject({ running: 0, done: 32, queued: 8 });
    });

    it('waits after a batch while intake commits in a burst, and goes on as soon as the commits stop', async () => {
      const ids = Array.from({ length: 40 }, (_, i) => `01B${String(i).padStart(2, '0')}`);
      await insertInOrder(...ids);
      const processed = async (): Promise<number> => (await ctx.jobs.countByState()).done;
      const w = worker(3, undefined, { burstPauseMs: 10_000, clock: Date.now });
      // Intake committing every 5 ms: a burst (20 commits within 250 ms).
      const commits = setInterval(() => w.wake(), 5);
      try {
        await new Promise((r) => setTimeout(r, 150));
        w.start();
        await waitFor(async () => (await processed()) >= 16, 20_000);
        // While the commits go on, the worker holds after its batch (the one claimed ahead waits).
        await new Promise((r) => setTimeout(r, 400));
        expect(await processed()).toBe(16);
      } finally {
        clearInterval(commits);
      }
      // The burst is over: the rest is processed long before burstPauseMs (10 s) would have let it.
      await waitFor(async () => (await processed()) === 40, 5_000);
      await w.stop();
    });

    it('reads a claimed batch at once when it can (one statement), and a message missing from it is retried', async () => {
      await insertInOrder('01A', '01B', '01C');
      await ctx.sql.prepare('DELETE FROM message_raw WHERE message_id = ?').run('01B');
      const batches: string[][] = [];
      const w = worker(3, undefined, {
        readMessage: async () => {
          throw new Error('read one at a time');
        },
        readMessages: async (ids) => {
          batches.push([...ids]);
          return await ctx.raw.readBatch(ids);
        },
      });
      w.start();
      await waitFor(async () => (await Promise.all(['01A', '01C'].map((id) => ctx.messages.get(id)))).every((m) => m?.status === 'processed'));
      await waitFor(
        async () =>
          ((await ctx.sql.prepare("SELECT last_error FROM jobs WHERE message_id = '01B'").get()) as { last_error: string | null }).last_error !== null,
      );
      await w.stop();
      expect(batches[0]).toEqual(['01A', '01B', '01C']);
      expect(await ctx.sql.prepare("SELECT state, last_error FROM jobs WHERE message_id = '01B'").get()).toEqual({
        state: 'queued',
        last_error: 'raw message missing',
      });
    });

    it('retries only the message whose DNS lookup failed for now; the rest of its group is processed', async () => {
      await insertInOrder('01A', '01B');
      nowMs += 10;
      await insertMessage('01C', 'From: c@slow.example\r\nSubject: slow\r\n\r\nbody\r\n');
      nowMs += 10;
      await insertMessage('01D');
      // SPF for the envelope's domain answers; the DMARC record of slow.example times out.
      const w = worker(3, undefined, { resolver: zoneResolver({ '_dmarc.slow.example': { TXT: 'TIMEOUT' } }) });
      w.start();
      await waitFor(async () => (await Promise.all(['01A', '01B', '01D'].map((id) => ctx.messages.get(id)))).every((m) => m?.status === 'processed'));
      await waitFor(
        async () => ((await ctx.sql.prepare("SELECT run_after FROM jobs WHERE message_id = '01C'").get()) as { run_after: number }).run_after === nowMs + 1000,
      );
      await w.stop();
      expect((await ctx.messages.get('01C'))?.status).toBe('received');
      expect(await ctx.sql.prepare("SELECT state, attempts, last_error FROM jobs WHERE message_id = '01C'").get()).toEqual({
        state: 'queued',
        attempts: 1,
        last_error: 'a DNS lookup failed temporarily; authentication will be retried',
      });
    });

    it('resumes a job left running by a crash once its lease runs out', async () => {
      await insertMessage('01A');
      await ctx.jobs.claim(nowMs, 60_000); // the crashed worker's claim
      const w = worker();
      w.start();
      await new Promise((r) => setTimeout(r, 100));
      expect((await ctx.messages.get('01A'))?.status).toBe('received');
      nowMs += 60_001;
      w.wake();
      await waitFor(async () => (await ctx.messages.get('01A'))?.status === 'processed');
      await w.stop();
    });

    it('retries with backoff and marks the message failed after the last attempt', async () => {
      await insertMessage('01A');
      await ctx.sql.prepare('DELETE FROM message_raw WHERE message_id = ?').run('01A');
      const w = worker(3);
      w.start();
      const attempts = async (): Promise<number> => ((await ctx.sql.prepare('SELECT attempts FROM jobs').get()) as { attempts: number }).attempts;
      await waitFor(async () => (await attempts()) === 1);
      const runAfter = async (): Promise<number> => ((await ctx.sql.prepare('SELECT run_after FROM jobs').get()) as { run_after: number }).run_after;
      await waitFor(async () => (await runAfter()) === nowMs + 1000, 2000, 'first retry in 1 s');
      nowMs += 1000;
      w.wake();
      await waitFor(async () => (await attempts()) === 2);
      await waitFor(async () => (await runAfter()) === nowMs + 2000, 2000, 'second retry in 2 s');
      nowMs += 2000;
      w.wake();
      await waitFor(async () => (await ctx.messages.get('01A'))?.status === 'failed');
      await w.stop();
      expect((await ctx.messages.get('01A'))?.error).toMatch(/raw message missing/);
      expect(await ctx.jobs.countByState()).toMatchObject({ failed: 1 });
    });

    it('gives up on a message whose earlier attempts each crashed the worker, without running it again', async () => {
      await insertMessage('01A');
      // Three claims whose worker died before completing (each lease ran out).
      for (let i = 0; i < 3; i++) {
        expect(await ctx.jobs.claim(nowMs, 1000)).toHaveLength(1);
        nowMs += 1001;
      }
      let reads = 0;
      const w = worker(3, undefined, {
        readMessage: async (id) => {
          reads++;
          return await ctx.raw.readWithEnvelope(id);
        },
      });
      w.start();
      await waitFor(async () => (await ctx.messages.get('01A'))?.status === 'failed');
      await w.stop();
      expect((await ctx.messages.get('01A'))?.error).toBe('gave up after 3 attempts');
      expect(reads).toBe(0);
    });

    it('says once when it has had no work for idleStopMs (worker.idleStopMs), with the next job due, and again after more work', async () => {
      const reports: (number | null)[] = [];
      const w = worker(3, { idleStopMs: 500, onIdle: (due) => reports.push(due) });
      w.start();
      await new Promise((r) => setTimeout(r, 60));
      expect(reports).toEqual([]);
      nowMs += 500;
      await waitFor(() => reports.length === 1);
      expect(reports).toEqual([null]);
      await new Promise((r) => setTimeout(r, 60));
      expect(reports).toHaveLength(1);
      // A message fails once: the report names its retry (due 1 s later, after the idle report).
      await insertMessage('01A');
      await ctx.sql.prepare('DELETE FROM message_raw WHERE message_id = ?').run('01A');
      w.wake();
      await waitFor(async () => ((await ctx.sql.prepare('SELECT attempts FROM jobs').get()) as { attempts: number }).attempts === 1);
      nowMs += 500;
      await waitFor(() => reports.length === 2);
      await w.stop();
      expect(reports[1]).toBe(((await ctx.sql.prepare('SELECT run_after FROM jobs').get()) as { run_after: number }).run_after);
    });
  });
});
