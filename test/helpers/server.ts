// Starts a real mailroom server for a test: a fresh SQLite file in a temp dir,
// the SMTP listener on 127.0.0.1 port 0, a silent logger, and two tenants.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, type Config, type ConfigInput } from '../../src/config/index.ts';
import { postgresSettings } from './postgres.ts';
import { createContext, type Clock, type Context } from '../../src/context.ts';
import { createLogger } from '../../src/log.ts';
import { startServer, type RunningServer } from '../../src/server/server.ts';

export interface TestServer {
  ctx: Context;
  server: RunningServer;
  port: number;
  dataDir: string;
  /** The environment a CLI command needs to work on this server's storage (the data dir; on PostgreSQL the database and key too). */
  cliEnv: Record<string, string>;
  /** Stops the server (if still running) and removes the data dir. */
  cleanup(): Promise<void>;
}

const created: string[] = [];

export function tempDir(prefix = 'mailroom-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Removes every temp dir this test file made (the setup file calls it after all tests). */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export type SectionOverrides = { [K in keyof ConfigInput]?: Partial<NonNullable<ConfigInput[K]>> };

/**
 * A zone file for a test server: the pipeline runs on its own thread, where the
 * test setup's DNS guard does not reach, so every test server answers DNS from
 * a file. Empty unless a test gives records.
 */
export function zoneFile(dir: string, zone: Record<string, unknown> = {}): string {
  const path = join(dir, 'zone.json');
  writeFileSync(path, JSON.stringify(zone));
  return path;
}

/**
 * Zone entries that authenticate mail from these domains sent by a test client
 * (127.0.0.1): SPF allows it, no DMARC record, so an aligned SPF pass proves
 * the sender (auth/sender.ts) as it would for a small company's domain.
 */
export function authenticatedSenders(domains: readonly string[]): Record<string, { TXT: string[] }> {
  return Object.fromEntries(domains.map((d) => [d, { TXT: ['v=spf1 ip4:127.0.0.1 -all'] }]));
}

export function testConfig(dataDir: string, overrides: SectionOverrides = {}): Config {
  return configSchema.parse({
    ...overrides,
    dns: { zoneFile: zoneFile(dataDir), ...overrides.dns },
    data: { dir: dataDir, ...overrides.data },
    smtp: { host: '127.0.0.1', port: 0, hostname: 'mx.mailroom.test', ...overrides.smtp },
    http: { host: '127.0.0.1', port: 0, ...overrides.http },
    // Test receivers listen on loopback; the tests of the rule itself turn this off.
    webhooks: { allowPrivateNetworks: true, ...overrides.webhooks },
    // The stand-in SMTP and IMAP providers listen on loopback too.
    relay: { allowPrivateNetworks: true, ...overrides.relay },
    log: { level: 'silent', ...overrides.log },
  });
}

export async function seedTenants(ctx: Context): Promise<void> {
  await ctx.tenants.add({
    slug: 'acme',
    name: 'Acme',
    domains: ['acme.com'],
    replyDomains: ['replies.acme.com'],
    forwardAddresses: ['acme-jobs@in.mailroom.test'],
  });
  await ctx.tenants.add({
    slug: 'globex',
    name: 'Globex',
    domains: ['globex.com'],
    replyDomains: ['replies.globex.com'],
    forwardAddresses: ['globex-jobs@in.mailroom.test'],
  });
}

export const BACKENDS = ['sqlite', 'postgres'] as const;
export type BackendName = (typeof BACKENDS)[number];

export async function startTestServer(
  options: { overrides?: SectionOverrides; clock?: Clock; worker?: boolean; backend?: BackendName } = {},
): Promise<TestServer> {
  const dataDir = tempDir();
  // On PostgreSQL: a database of its own in the test run's server, and the shared secret key every node needs.
  const shared = options.backend === 'postgres' ? await postgresSettings() : {};
  const config = testConfig(dataDir, { ...options.overrides, ...shared });
  const ctx = await createContext(config, {
    log: createLogger(process.env.MAILROOM_TEST_LOG === 'warn' ? 'warn' : 'silent'),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  await seedTenants(ctx);
  const server = await startServer(ctx, { worker: options.worker ?? true });
  return {
    ctx,
    server,
    port: server.smtp.port,
    dataDir,
    cliEnv: {
      MAILROOM_DATA_DIR: dataDir,
      // The CLI reaches the stand-in providers on loopback as the server does.
      MAILROOM_RELAY_ALLOW_PRIVATE_NETWORKS: String(config.relay.allowPrivateNetworks),
      ...(config.database.url ? { MAILROOM_DATABASE_URL: config.database.url, MAILROOM_SECRET_KEY: config.secret.key } : {}),
    },
    async cleanup() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until the condition holds or the time runs out (then throws). */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The pipeline has run on the message (whatever it decided). */
export function isProcessed(status: string | undefined): boolean {
  return status !== undefined && status !== 'received' && status !== 'failed';
}
