// Tenants (companies and subcompanies), their own domains, and the routes we
// accept mail for: reply domains (any local part) and forwarding addresses.
import { domainToASCII } from 'node:url';
import type { Statement } from 'better-sqlite3';
import { InvalidError } from '../errors.ts';
import type { Database } from './database.ts';

export type RouteKind = 'reply_domain' | 'forward_address';

export interface Route {
  kind: RouteKind;
  value: string;
}

export interface Tenant {
  id: number;
  slug: string;
  name: string;
  parent: string | null;
  createdAt: string;
  domains: string[];
  replyDomains: string[];
  forwardAddresses: string[];
  /** Company inboxes that forward to the forwarding addresses (for the forwarding test). */
  inboxes: string[];
}

export interface NewTenant {
  slug: string;
  name?: string;
  parent?: string;
  domains: string[];
  replyDomains: string[];
  forwardAddresses: string[];
  inboxes?: string[];
}

/** A rejected tenant change; the message is fit to show to an operator. */
/** A tenant that cannot be stored as given (a bad slug or domain, an address another tenant has): an invalid input. */
export class TenantError extends InvalidError {
  override name = 'TenantError';
}

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const DOMAIN_LABELS = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/;

/** Lower-case ASCII (punycode) form of a domain, or null when it is not one. */
export function normalizeDomain(input: string): string | null {
  const trimmed = input.trim().replace(/\.$/, '');
  if (!trimmed || trimmed.startsWith('[')) return null;
  const ascii = domainToASCII(trimmed.toLowerCase());
  return ascii && DOMAIN_LABELS.test(ascii) ? ascii : null;
}

/** local@domain with the domain normalized and the local part lower-cased, or null. */
export function normalizeAddress(input: string): string | null {
  const at = input.lastIndexOf('@');
  if (at <= 0) return null;
  const local = input.slice(0, at).trim().toLowerCase();
  const domain = normalizeDomain(input.slice(at + 1));
  if (!domain || !/^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+$/.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return null;
  }
  return `${local}@${domain}`;
}

interface TenantRow {
  id: number;
  slug: string;
  name: string;
  parent_slug: string | null;
  created_at: string;
  inboxes: string | null;
}

type RouteAnswer = { tenantId: number; route: Route } | null;
type RouteRow = { tenant_id: number; kind: RouteKind; value: string };
type DomainRoutes = { any: boolean; forwardAddresses: boolean };

/** How stale an acceptance may be after its route was removed or moved (refusals are always current). */
export const ROUTE_RECHECK_MS = 1000;

/** Answers kept between route changes; past this many the map starts over (a scan of random addresses cannot grow it). */
const MAX_REMEMBERED_ANSWERS = 10_000;

export class TenantStore {
  private readonly db: Database;
  private readonly now: () => Date;
  // Prepared once: these run for every RCPT.
  private readonly routeByValue: Statement<[string], RouteRow>;
  private readonly routeKindsOnDomain: Statement<[string], { kind: RouteKind }>;
  private readonly routeGeneration: Statement<[], { value: number }>;
  /**
   * RCPT answers while the routes stay as they are. Any statement on this
   * connection costs the SMTP thread ~10 µs next to a busy writer (a read
   * transaction: shared-memory locks, the WAL index), as much as the rest of
   * its RCPT work. route_generation, which every change to routes bumps (a
   * trigger), says whether the answers still hold; it is read before every
   * refusal, so a new route is taken at once, and at most every
   * ROUTE_RECHECK_MS for acceptances, so a removed or moved route stops being
   * accepted within that.
   */
  private readonly routesByValue = new Map<string, RouteRow | null>();
  private readonly routesByDomain = new Map<string, DomainRoutes>();
  private answersGeneration = -1;
  private generationReadAtMs = -Infinity;

  constructor(db: Database, now: () => Date) {
    this.db = db;
    this.now = now;
    this.routeByValue = db.prepare('SELECT tenant_id, kind, value FROM routes WHERE value = ?');
    this.routeKindsOnDomain = db.prepare('SELECT DISTINCT kind FROM routes WHERE domain = ?');
    this.routeGeneration = db.prepare('SELECT value FROM route_generation WHERE id = 1');
  }

  add(input: NewTenant): Tenant {
    const slug = input.slug.trim().toLowerCase();
    if (!SLUG.test(slug)) throw new TenantError(`tenant slug "${input.slug}" must be lower-case letters, digits and dashes`);
    const domains = input.domains.map((d) => normalizeDomain(d) ?? fail(`"${d}" is not a domain name`));
    const replyDomains = input.replyDomains.map((d) => normalizeDomain(d) ?? fail(`reply domain "${d}" is not a domain name`));
    const forwards = input.forwardAddresses.map((a) => normalizeAddress(a) ?? fail(`forwarding address "${a}" is not an email address`));
    const inboxes = (input.inboxes ?? []).map((a) => normalizeAddress(a) ?? fail(`inbox "${a}" is not an email address`));
    if (domains.length === 0) throw new TenantError('a tenant needs at least one domain (the company domain its mail comes from)', 'domains');
    if (replyDomains.length + forwards.length === 0 && !input.parent) {
      throw new TenantError('a tenant needs at least one reply domain or forwarding address, or it can receive nothing', 'replyDomains');
    }
    const createdAt = this.now().toISOString();
    const run = this.db.transaction(() => {
      if (this.db.prepare('SELECT 1 FROM tenants WHERE slug = ?').get(slug)) throw new TenantError(`tenant "${slug}" already exists`);
      let parentId: number | null = null;
      if (input.parent) {
        const parent = this.db.prepare('SELECT id FROM tenants WHERE slug = ?').get(input.parent.toLowerCase()) as { id: number } | undefined;
        if (!parent) throw new TenantError(`parent tenant "${input.parent}" does not exist`);
        parentId = parent.id;
      }
      const { lastInsertRowid } = this.db
        .prepare('INSERT INTO tenants (slug, name, parent_id, created_at, inboxes) VALUES (?, ?, ?, ?, ?)')
        .run(slug, input.name?.trim() || slug, parentId, createdAt, JSON.stringify(inboxes));
      const tenantId = Number(lastInsertRowid);
      const addDomain = this.db.prepare('INSERT OR IGNORE INTO tenant_domains (tenant_id, domain) VALUES (?, ?)');
      for (const domain of domains) addDomain.run(tenantId, domain);
      const routes: Route[] = [
        ...replyDomains.map((value) => ({ kind: 'reply_domain' as const, value })),
        ...forwards.map((value) => ({ kind: 'forward_address' as const, value })),
      ];
      for (const route of routes) this.insertRoute(tenantId, route, createdAt);
      return tenantId;
    });
    run.immediate();
    return this.get(slug) as Tenant;
  }

  private insertRoute(tenantId: number, route: Route, createdAt: string): void {
    const owner = this.db.prepare('SELECT t.slug FROM routes r JOIN tenants t ON t.id = r.tenant_id WHERE r.value = ?').get(route.value) as
      { slug: string } | undefined;
    if (owner) throw new TenantError(`${route.value} is already routed to tenant "${owner.slug}"`);
    if (route.kind === 'forward_address') {
      // A forwarding address inside a reply domain would be shadowed by it.
      const domain = route.value.slice(route.value.lastIndexOf('@') + 1);
      const shadow = this.db.prepare("SELECT 1 FROM routes WHERE kind = 'reply_domain' AND value = ?").get(domain);
      if (shadow) throw new TenantError(`${route.value} lies in reply domain ${domain}, which already takes every address there`);
    }
    const domain = route.value.slice(route.value.lastIndexOf('@') + 1);
    this.db
      .prepare('INSERT INTO routes (tenant_id, kind, value, domain, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(tenantId, route.kind, route.value, domain, createdAt);
  }

  list(): Tenant[] {
    const rows = this.db
      .prepare(
        'SELECT t.id, t.slug, t.name, p.slug AS parent_slug, t.created_at, t.inboxes FROM tenants t LEFT JOIN tenants p ON p.id = t.parent_id ORDER BY t.slug',
      )
      .all() as TenantRow[];
    return rows.map((row) => this.hydrate(row));
  }

  get(slug: string): Tenant | null {
    const row = this.db
      .prepare(
        'SELECT t.id, t.slug, t.name, p.slug AS parent_slug, t.created_at, t.inboxes FROM tenants t LEFT JOIN tenants p ON p.id = t.parent_id WHERE t.slug = ?',
      )
      .get(slug.toLowerCase()) as TenantRow | undefined;
    return row ? this.hydrate(row) : null;
  }

  /**
   * Which tenant owns this (normalized) recipient: a forwarding address exactly,
   * else its domain as a reply domain.
   */
  routeFor(address: string): RouteAnswer {
    this.forgetAnswersIfRoutesChanged(false);
    const answer = this.answerFor(address);
    // Before refusing, make sure no route was added since the answer was kept.
    if (answer === null && this.forgetAnswersIfRoutesChanged(true)) return this.answerFor(address);
    return answer;
  }

  private answerFor(address: string): RouteAnswer {
    const domain = address.slice(address.lastIndexOf('@') + 1);
    const onDomain = this.domainRoutes(domain);
    if (onDomain.forwardAddresses) {
      const exact = this.routeNamed(address);
      if (exact?.kind === 'forward_address') return { tenantId: exact.tenant_id, route: { kind: exact.kind, value: exact.value } };
    }
    if (!onDomain.any) return null;
    const byDomain = this.routeNamed(domain);
    if (byDomain?.kind === 'reply_domain') return { tenantId: byDomain.tenant_id, route: { kind: byDomain.kind, value: byDomain.value } };
    return null;
  }

  /** True when some route lives on this domain (we are its MX), so an unknown local part is 5.1.1, not a relay attempt. */
  servesDomain(domain: string): boolean {
    // Asked after routeFor refused, which has just read the generation: a second
    // read would only choose between two refusal codes.
    this.forgetAnswersIfRoutesChanged(false);
    return this.domainRoutes(domain).any;
  }

  private routeNamed(value: string): RouteRow | null {
    let row = this.routesByValue.get(value);
    if (row === undefined) {
      row = this.routeByValue.get(value) ?? null;
      remember(this.routesByValue, value, row);
    }
    return row;
  }

  /** Whether any route, and any forwarding address, lives on this domain: most recipients are on reply domains and need no exact lookup. */
  private domainRoutes(domain: string): DomainRoutes {
    let known = this.routesByDomain.get(domain);
    if (known === undefined) {
      const kinds = this.routeKindsOnDomain.all(domain).map((r) => r.kind);
      known = { any: kinds.length > 0, forwardAddresses: kinds.includes('forward_address') };
      remember(this.routesByDomain, domain, known);
    }
    return known;
  }

  /** Drops the kept answers if the routes changed; reads the generation now (`force`) or when the last read is older than ROUTE_RECHECK_MS. Returns whether they were dropped. */
  private forgetAnswersIfRoutesChanged(force: boolean): boolean {
    const nowMs = this.now().getTime();
    if (!force && nowMs - this.generationReadAtMs < ROUTE_RECHECK_MS) return false;
    this.generationReadAtMs = nowMs;
    const generation = this.routeGeneration.get()?.value ?? 0;
    if (generation === this.answersGeneration) return false;
    this.routesByValue.clear();
    this.routesByDomain.clear();
    this.answersGeneration = generation;
    return true;
  }

  /** The tenant and its subcompanies at any depth: what an API token of the tenant may see. */
  subtreeIds(tenantId: number): number[] {
    return this.db
      .prepare('WITH RECURSIVE sub(id) AS (SELECT ? UNION SELECT t.id FROM tenants t JOIN sub ON t.parent_id = sub.id) SELECT id FROM sub')
      .pluck()
      .all(tenantId) as number[];
  }

  slugOf(tenantId: number): string {
    const row = this.db.prepare('SELECT slug FROM tenants WHERE id = ?').get(tenantId) as { slug: string } | undefined;
    return row?.slug ?? `#${tenantId}`;
  }

  private hydrate(row: TenantRow): Tenant {
    const domains = (this.db.prepare('SELECT domain FROM tenant_domains WHERE tenant_id = ? ORDER BY domain').all(row.id) as { domain: string }[]).map(
      (r) => r.domain,
    );
    const routes = this.db.prepare('SELECT kind, value FROM routes WHERE tenant_id = ? ORDER BY value').all(row.id) as Route[];
    return {
      id: row.id,
      slug: row.slug,
      name: row.name,
      parent: row.parent_slug,
      createdAt: row.created_at,
      domains,
      replyDomains: routes.filter((r) => r.kind === 'reply_domain').map((r) => r.value),
      forwardAddresses: routes.filter((r) => r.kind === 'forward_address').map((r) => r.value),
      inboxes: row.inboxes ? (JSON.parse(row.inboxes) as string[]) : [],
    };
  }
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= MAX_REMEMBERED_ANSWERS) map.clear();
  map.set(key, value);
}

function fail(message: string): never {
  throw new TenantError(message);
}
