// The configuration file as the YAML library parsed it, kept so that a problem
// found later (by the schema) can name the line it is on, and the nearest known
// key for one misspelt.
import { readFileSync } from 'node:fs';
import { closest, distance } from 'fastest-levenshtein';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { ConfigError } from '../errors.ts';

type Tree = Record<string, unknown>;

export interface ConfigFile {
  path: string;
  tree: Tree;
  /** `file:line` of the value at a dotted path, or of the key itself (`key: true`); null when the file does not set it. */
  where(path: readonly PropertyKey[], options?: { key?: boolean }): string | null;
}

export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`config file ${path}: cannot read it (${(err as Error).message})`]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0) {
    // The library's message repeats the position and quotes the source; the first sentence is the point.
    throw new ConfigError(
      doc.errors.map((e) => {
        const at = e.linePos?.[0];
        const what = (e.message.split('\n')[0] ?? e.code).replace(/ at line \d+, column \d+:?$/, '');
        return `${path}${at ? `:${at.line}:${at.col}` : ''}: not valid YAML (${what})`;
      }),
    );
  }
  const value: unknown = doc.toJS();
  if (value !== null && value !== undefined && (typeof value !== 'object' || Array.isArray(value))) {
    throw new ConfigError([`config file ${path}: expected a mapping of sections (data, smtp, ...) at the top`]);
  }
  const lineOf = (node: Node | null | undefined): string | null => (node?.range ? `${path}:${lines.linePos(node.range[0]).line}` : null);
  return {
    path,
    tree: (value ?? {}) as Tree,
    where: (at, options = {}) => {
      if (!options.key) return lineOf(nodeAt(doc, at));
      const parent = at.length > 1 ? nodeAt(doc, at.slice(0, -1)) : doc.contents;
      if (!isMap(parent)) return null;
      const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(at[at.length - 1]));
      return lineOf(pair?.key as Node | undefined);
    },
  };
}

function nodeAt(doc: Document, at: readonly PropertyKey[]): Node | null {
  const node = at.length === 0 ? doc.contents : doc.getIn(at as unknown[], true);
  return node && typeof node === 'object' && 'range' in node ? (node as Node) : null;
}

/**
 * The known name a misspelt one most likely meant, when it is close enough to be
 * a typo (two edits, or a third of its letters for longer names; two letters
 * swapped count as two): `smtp.prot` -> `smtp.port`.
 */
export function nearest(name: string, known: readonly string[]): string | null {
  if (known.length === 0) return null;
  const best = closest(name, known as string[]);
  const limit = Math.max(2, Math.ceil(name.length / 3));
  return distance(name.toLowerCase(), best.toLowerCase()) <= limit ? best : null;
}
