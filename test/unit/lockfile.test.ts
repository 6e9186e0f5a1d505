import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// `npm install` on a fresh clone must leave the working tree clean. npm rewrites
// package-lock.json when an entry lacks a fact it finds in the installed package,
// the one seen in practice being `hasInstallScript` (npm infers an install script
// from a binding.gyp even when package.json names none). And every dependency with
// an install script needs a decision in package.json "allowScripts", or each install
// ends in a warning asking the newcomer to review it.

interface LockEntry {
  hasInstallScript?: boolean;
}
interface Manifest {
  scripts?: Record<string, string>;
  allowScripts?: Record<string, boolean>;
}

const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall'];

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** What npm would record: an install-time script of its own, or a binding.gyp (node-gyp rebuild). */
function hasInstallScript(dir: string): boolean {
  const manifest = readJson<Manifest>(join(dir, 'package.json'));
  const scripts = manifest.scripts ?? {};
  return INSTALL_SCRIPTS.some((name) => name in scripts) || existsSync(join(dir, 'binding.gyp'));
}

describe('package-lock.json', () => {
  const lock = readJson<{ packages: Record<string, LockEntry> }>('package-lock.json');
  const installed = Object.entries(lock.packages).filter(([path]) => path.startsWith('node_modules/') && existsSync(join(path, 'package.json')));

  it('records every installed package that has an install script, as npm install would', () => {
    expect(installed.length).toBeGreaterThan(100);
    const missing = installed.filter(([path, entry]) => hasInstallScript(path) !== (entry.hasInstallScript === true)).map(([path]) => path);
    expect(missing).toEqual([]);
  });

  it('every package with an install script has an allowScripts decision in package.json', () => {
    const allow = readJson<Manifest>('package.json').allowScripts ?? {};
    const undecided = installed
      .filter(([path]) => hasInstallScript(path))
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length))
      .filter((name) => !(name in allow));
    expect(undecided).toEqual([]);
  });
});
