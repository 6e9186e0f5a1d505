// Hard or soft: whether a bounce says the address itself is bad, so that it
// should not be mailed again as it is, or something that may pass (a full
// mailbox, a policy block, a rate limit). Read from the remote server's words
// first, then the enhanced status code, then the report's explanation.
import { anyPhrase } from './phrases.ts';

/**
 * Hard means the address itself is bad (no such user or domain; RFC 3463 5.1.x,
 * 5.3.2 and 5.4.4), so it should not be mailed again as it is. A 5xx for policy,
 * content or a full mailbox says nothing about the address: soft. What the
 * receiving server said wins over the status code, which many servers set loosely.
 */
export function isHard(status: string | null, diagnostic: string, context: string): boolean {
  // 5.1.7 and 5.1.8 are about OUR sender address, not the recipient's.
  if (status === '5.1.7' || status === '5.1.8' || /sender (address )?rejected/i.test(diagnostic)) return false;
  if (/^\s*4\d\d\b/.test(diagnostic)) return false;
  // The remote server's own words first: a full, disabled or suspended mailbox,
  // or a block of our server, may pass later; an unknown user will not.
  if (HARD_PHRASE.test(diagnostic)) return true;
  if (SOFT_TEXT.test(diagnostic)) return false;
  if (HARD_TEXT.test(diagnostic)) return true;
  // A generic status (5.0.0, or "other" in a class but the address one: 5.5.0,
  // 5.3.0) says nothing about the address.
  // 5.1.x: bad mailbox or domain; 5.3.2: system accepts no mail; 5.4.4: no route to the domain.
  if (status && !/^\d\.[02-9]\.0$/.test(status)) return /^5\.1\.\d+$/.test(status) || status === '5.3.2' || status === '5.4.4';
  // A generic temporary status (4.0.0) with nothing telling from the server: the
  // sender's MTA gave up on a failure it was told could pass.
  if (status?.startsWith('4.')) return false;
  // No telling diagnostic or status: the explanation around it is all there is.
  return HARD_TEXT.test(context) && !SOFT_TEXT.test(context);
}

const HARD_TEXT = anyPhrase([
  'user unknown',
  'unknown user',
  'no such user',
  "doesn't exist",
  'not exist',
  'invalid recipient',
  'unknown recipient',
  'recipient unknown',
  'no such mailbox',
  'mailbox not found',
  'address not found',
  "address could(?:n't| not) be found",
  'user not found',
  'not listed in',
  "doesn't have an? [\\w.-]+ account",
  'name is not recognized',
  'invalid (?:final delivery )?userid',
  'no valid recipients',
  'no mailbox',
  'address rejected: user',
  'invalid mailbox',
  'unrouteable address',
  'no such domain',
  'domain not found',
  'invalid domain',
  'host or domain name not found',
  'host not found',
  'no mx record',
  'host unknown',
  'mailbox unavailable',
  'not accepting (?:network )?messages',
  'does not accept mail',
  'domain is not reachable',
]);
// Said of a missing or closed address, in words that otherwise read soft: Microsoft's
// directory-based edge blocking ("Access denied" for a recipient it does not have)
// and iCloud's closed accounts.
const HARD_PHRASE = /(recipient address rejected: access denied|inactive email address)/i;
const SOFT_TEXT = anyPhrase([
  'over quota',
  'quota exceeded',
  'mailbox (is )?full',
  'insufficient storage',
  'disabled',
  'inactive',
  'suspended',
  'blacklist',
  'blocklist',
  'blocked',
  'banned',
  'spam',
  'access denied',
  'rejected by policy',
  'temporarily',
  'temporary',
  'try again later',
  'too many',
  'spf',
  'host not found, try again',
  'unexpected name server reply',
  'deferred',
  'connection reset',
  'protocol error',
]);
