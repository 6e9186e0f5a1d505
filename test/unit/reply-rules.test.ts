// One test per rule of src/reply/rules.ts: each finds what it is for in texts
// of several scripts, and leaves alone the sender's own lines that look a
// little like it.
import { describe, expect, it } from 'vitest';
import {
  attributionLine,
  headerBlockStart,
  historySeparator,
  historyStart,
  interleavedReply,
  isMobileSignature,
  protectSentences,
  withoutFooters,
  withRewrappedQuotes,
} from '../../src/reply/rules.ts';
import { replyText } from '../../src/reply/index.ts';

const lines = (text: string): string[] => text.split('\n');

describe('reply rules', () => {
  it('attributionLine: a sender and a time ending in a colon, in any language, wrapped over lines; not the sender’s own', () => {
    expect(attributionLine(lines('Yes.\n\nAnna Weber <anna@acme.com> 于2026年12月1日周二 10:00写道：\n> 你好'))).toBe(2);
    expect(attributionLine(lines('Да.\n\n01.12.2026 10:00, Anna Weber пишет:\n> Здравствуйте'))).toBe(2);
    expect(attributionLine(lines('Ok\nOn Tue, Dec 1, 2026 at 10:00 AM Anna Weber <anna@acme.com\n[anna@acme.com]> wrote:\n\n> Hi'))).toBe(1);
    expect(attributionLine(lines('Done.\n\n---- On Tue, 01 Dec 2026 10:00:00 +0100 Anna <anna@acme.com> wrote ----\nHi'))).toBe(2);
    // A line of the sender's above the attribution is not part of it.
    expect(attributionLine(lines('I can test this in 2 weeks.\nOp 16 aug. 2014 05:13 schreef "X" <x@example.org> het\nvolgende geschreven:'))).toBe(1);
    // The sender's own list of times under a colon is text.
    expect(attributionLine(lines('My availability:\nMonday 10:00-12:00\nTuesday 14:00-16:00'))).toBe(-1);
    expect(attributionLine(lines('Call me on 12.01.2026 at 10:00 or later.'))).toBe(-1);
  });

  it('headerBlockStart: label-value lines naming an address and a time, in any script, with the rule above them', () => {
    const qq =
      '好的。\n\n------------------ 原始邮件 ------------------\n发件人: "Anna"<anna@acme.com>;\n发送时间: 2026年12月1日(星期二) 上午10:00\n收件人: "王"<w@qq.com>;';
    expect(headerBlockStart(lines(qq))).toBe(2);
    const gmx = 'Gruß\n\nGesendet: Dienstag, 01. Dezember 2026 um 10:00 Uhr\nVon: "Anna" <anna@acme.com>\nBetreff: Termin';
    expect(headerBlockStart(lines(gmx))).toBe(2);
    // Contact details the sender gives: an address but no time.
    expect(headerBlockStart(lines('New details:\nPhone: +44 7700 900123\nEmail: grace@example.org'))).toBe(-1);
  });

  it('historySeparator: a rule with words between opens a history only when a header or attribution follows', () => {
    expect(historySeparator(lines('Ok.\n\n-----원본 메일-----\n보낸사람: "Anna" <anna@acme.com>'))).toBe(2);
    expect(historySeparator(lines('Ok.\n\n------- Original Message -------\nOn Tuesday, December 1st, 2026 at 10:00, Anna <a@acme.com> wrote:'))).toBe(2);
    expect(historySeparator(lines('Agenda\n-----\nfirst item\nsecond item'))).toBe(-1);
    expect(historySeparator(lines('Thanks\n-- \nJane'))).toBe(-1);
  });

  it('historyStart: the earliest of the three, never at the very top (a bottom post)', () => {
    expect(historyStart(lines('Yes.\n\nVon: Anna <anna@acme.com>\nGesendet: Dienstag, 1. Dezember 2026 10:00'))).toBe(2);
    expect(historyStart(lines('On 01/12/2026 10:00, Anna Weber wrote:\n> Hi\n\nAnswer'))).toBe(-1);
  });

  it('isMobileSignature: a short line naming a phone or a mail app, in any language; not a sentence', () => {
    for (const line of [
      'Sent from my iPhone',
      'iPhoneから送信',
      '发自我的iPhone',
      'iPhone에서 보냄',
      'Wysłane z iPhone\u2019a',
      'Get Outlook for iOS<https://aka.ms/o0ukef>',
      'Sent with Proton Mail secure email.',
    ])
      expect(isMobileSignature(line), line).toBe(true);
    for (const line of ['Sent from my phone while travelling, so a short answer: yes, Friday works.', 'Von meinem Handy gesendet', 'Can we talk on my iPhone?'])
      expect(isMobileSignature(line), line).toBe(false);
  });

  it('withoutFooters: a mobile signature paragraph, a list footer and a disclaimer under a sign-off go; a P.S. stays', () => {
    expect(withoutFooters(lines('Yes.\n\nEnviado desde mi iPhone'))).toEqual(['Yes.']);
    expect(
      withoutFooters(
        lines(
          'I apply.\n\nSam\n_______________________________________________\nJobs mailing list\njobs@lists.example.org\nhttps://lists.example.org/mailman/listinfo/jobs',
        ),
      ),
    ).toEqual(['I apply.', '', 'Sam']);
    const notice =
      'Ce message et toutes les pièces jointes sont confidentiels et établis à l’intention exclusive de ses destinataires. Toute utilisation non autorisée est interdite.';
    expect(withoutFooters(lines(`Bonjour,\n\nJe confirme.\n\nCordialement,\nNicolas\n\n${notice}`))).toEqual([
      'Bonjour,',
      '',
      'Je confirme.',
      '',
      'Cordialement,',
      'Nicolas',
    ]);
    const ps = 'P.S. I have also attached the reference letter from my previous employer, as you asked during our call last week, thanks.';
    expect(withoutFooters(lines(`Hi,\n\nMonday works.\n\nJane\n\n${ps}`)).pop()).toBe(ps);
  });

  it('withRewrappedQuotes: a line a client wrapped out of the quote goes back in; an answer under a question does not', () => {
    expect(withRewrappedQuotes(lines('> Would Tuesday at 10 work for you? We would like to\ndiscuss the role in detail.\n> Best'))).toEqual([
      '> Would Tuesday at 10 work for you? We would like to',
      '> discuss the role in detail.',
      '> Best',
    ]);
    expect(withRewrappedQuotes(lines('> Are you available next week for an interview with the team?\nYes, Monday.\n> Any visa needs?'))[1]).toBe(
      'Yes, Monday.',
    );
  });

  it('interleavedReply: answers with the lines they answer, without the attribution and the rest of the quote; null for a top or bottom post', () => {
    const text = 'On 01/12/2026 10:00, Anna Weber wrote:\n> Start date?\n\nFebruary.\n\n> Salary?\n\n50k.\n\n> Regards,\n> Anna';
    expect(interleavedReply(lines(text))).toEqual(['> Start date?', '', 'February.', '', '> Salary?', '', '50k.']);
    expect(interleavedReply(lines('Yes.\n\nOn 01/12/2026 10:00, Anna Weber wrote:\n> Start date?'))).toBeNull();
    expect(interleavedReply(lines('On 01/12/2026 10:00, Anna Weber wrote:\n> Start date?\n\nFebruary.'))).toBeNull();
    // A thread quoted message under message: the older messages' attributions between the quotes are no answers.
    expect(
      interleavedReply(
        lines('Thanks.\n\nOn Mon, 23 Nov 2026 at 09:01, A <a@example.org> wrote:\n> one\nOn Mon, 23 Nov 2026 at 09:00, B <b@example.org> wrote:\n> two'),
      ),
    ).toBeNull();
    // A broken attribution ("> wrote:" on a line of its own) is no quote to answer between.
    expect(interleavedReply(lines('One\n\nOn Thu, 31 Mar 2016 at 11:16 Some One\n\n<\nmailto:x <x@foo.bar>\n> wrote:\n\nTwo\n\n> wrote:\n\nThree'))).toBeNull();
  });

  it('protectSentences: a sentence that opens like a phone signature is kept from the parser’s signature rule', () => {
    const sentence = 'Sent from my phone while travelling, so a short answer: yes, I can do the call on Friday.';
    expect(protectSentences([sentence, 'Sent from my iPhone'])).toEqual([`\u200b${sentence}`, 'Sent from my iPhone']);
    expect(replyText(`Hi Anna,\n\n${sentence}\n\nJane`)).toBe(`Hi Anna,\n\n${sentence}\n\nJane`);
  });
});
