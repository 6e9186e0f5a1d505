// Walking a body's lines: the reply-text stage and what its parser is handed
// both look past blank lines and past a leading "Forwarded message" block.

/** The first line at or after `from` that is not blank; lines.length when there is none. */
export function nextTextLine(lines: readonly string[], from = 0): number {
  let i = from;
  while (i < lines.length && (lines[i] as string).trim() === '') i++;
  return i;
}

/** Past a "Forwarded message" line at `at` and the header lines under it: the blank line that ends them. */
export function pastForwardMarker(lines: readonly string[], at: number): number {
  let end = at + 1;
  while (end < lines.length && (lines[end] as string).trim() !== '') end++;
  return end;
}
