// Text as every backend can keep it. A stranger's message may decode to a NUL
// character or to half of a surrogate pair (an encoded word cut in the middle,
// a `=00` in quoted-printable); PostgreSQL's text and jsonb refuse both, so
// such a message would fail on every retry there while SQLite took it. Each
// string of a processed message is made well-formed (a lone surrogate becomes
// U+FFFD, as a UTF-8 encoder writes it) and a NUL becomes U+FFFD too, on both
// backends alike, so the same mail is stored the same way everywhere.

const NUL = /\0/g;

function storableString(text: string): string {
  const wellFormed = text.isWellFormed() ? text : text.toWellFormed();
  return wellFormed.includes('\0') ? wellFormed.replace(NUL, '\uFFFD') : wellFormed;
}

/** The value with every string in it storable; objects and arrays are copied only where a string changed. */
export function storable<T>(value: T): T {
  if (typeof value === 'string') return storableString(value) as T;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    value.forEach((item: unknown, i) => {
      const fixed = storable(item);
      if (fixed !== item) (copy ??= [...(value as unknown[])])[i] = fixed;
    });
    return (copy ?? value) as T;
  }
  if (value === null || typeof value !== 'object' || value instanceof Date || ArrayBuffer.isView(value)) return value;
  let copy: Record<string, unknown> | null = null;
  for (const [key, item] of Object.entries(value)) {
    const fixed = storable(item);
    if (fixed !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = fixed;
  }
  return (copy ?? value) as T;
}
