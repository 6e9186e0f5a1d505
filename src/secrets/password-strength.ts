// How guessable a console password is, by zxcvbn-ts (Dropbox's estimator, kept
// up as a TypeScript port): it finds common passwords, keyboard walks,
// repeats, sequences, dates and the user's own name in the password and
// scores the guesses an attacker needs, so "aaaaaaaaaaaa" or "password1234"
// fail although they are long. The estimator and its dictionaries are loaded
// on first use only (a password being set), not by every command that starts.
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';

/** zxcvbn's scale 0..4; 3 is "safely unguessable: moderate protection from offline slow-hash scenario" (its own words). */
export const MIN_PASSWORD_SCORE = 3;

let estimator: Promise<ZxcvbnFactory> | null = null;

async function load(): Promise<ZxcvbnFactory> {
  const [{ ZxcvbnFactory }, { adjacencyGraphs, dictionary }] = await Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common')]);
  return new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs });
}

/** Why the password is too easy to guess (the estimator's advice), or null when it is strong enough. */
export async function weakPasswordReason(password: string, userInputs: readonly string[]): Promise<string | null> {
  // A failed load is tried again next time rather than remembered.
  estimator ??= load().catch((err: unknown) => {
    estimator = null;
    throw err;
  });
  const result = (await estimator).check(password, [...userInputs]);
  if (result.score >= MIN_PASSWORD_SCORE) return null;
  // Without a translation package the feedback is keys (repeated, commonPassword, ...): said in our own words.
  const warning = result.feedback.warning ? (WARNINGS[result.feedback.warning] ?? null) : null;
  return `this password is too easy to guess${warning ? ` (${warning})` : ''}: use a longer phrase of unrelated words`;
}

const WARNINGS: Record<string, string> = {
  straightRow: 'a row of keys on the keyboard',
  keyPattern: 'a keyboard pattern',
  simpleRepeat: 'a repeated character',
  extendedRepeat: 'a repeated group of characters',
  sequences: 'a sequence like abc or 123',
  recentYears: 'a recent year',
  dates: 'a date',
  topTen: 'one of the ten most used passwords',
  topHundred: 'one of the hundred most used passwords',
  common: 'a commonly used password',
  similarToCommon: 'close to a commonly used password',
  wordByItself: 'a single word',
  namesByThemselves: 'a single name',
  commonNames: 'a common name',
  userInputs: 'your own name or address',
  pwned: 'a password found in data breaches',
};
