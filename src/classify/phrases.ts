// Word lists as regular expressions: one phrase (a regex fragment) per entry,
// so a long list reads, diffs and grows one line at a time.

/** A regex matching any of the phrases, as one capturing group: `(a|b|c)`. */
export function anyPhrase(phrases: readonly string[], flags = 'i'): RegExp {
  return new RegExp(`(${phrases.join('|')})`, flags);
}
