// The console's one script, served from its own origin (the pages' policy
// allows scripts from 'self' only: nothing inline, nothing from a message).
import type { Hono } from 'hono';
import { readFileSync } from 'node:fs';
import type { ConsoleEnv } from './helpers.ts';

const SOURCE = readFileSync(new URL('./assets/console.js', import.meta.url), 'utf8');

export function scriptRoute(app: Hono<ConsoleEnv>): void {
  app.get('/assets/console.js', (c) => {
    c.header('content-type', 'text/javascript; charset=utf-8');
    return c.body(SOURCE);
  });
}
