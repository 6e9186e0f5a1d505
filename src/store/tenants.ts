// Tenants (companies and subcompanies), their own domains, and the routes we
// accept mail for: reply domains (any local part) and forwarding addresses.
import { domainToASCII } from 'node:url';
import type { Sql } from './sql/sql.ts';
import { InvalidError } from '../errors.ts';

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

export class TenantStore {
  private readonly sql: Sql;
  private readonly now: () => Date;
  /** Told after routes were added, so this process's RCPT answers follow at once. */
  private readonly routesChanged: () => Promise<void>;

  constructor(sql: Sql, now: () => Date, routesChanged: () => Promise<void> = async () => undefined) {
    this.sql = sql;
    this.now = now;
    this.routesChanged = routesChanged;
  }

  async add(input: NewTenant): Promise<Tenant> {
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
    await this.sql.transaction(async () => {
      if (await this.sql.prepare('SELECT 1 FROM tenants WHERE slug = ?').get(slug)) throw new TenantError(`tenant "${slug}" already exists`);
      let parentId: number | null = null;
      if (input.parent) {
        const parent = (await this.sql.prepare('SELECT id FROM tenants WHERE slug = ?').get(input.parent.toLowerCase())) as { id: number } | undefined;
        if (!parent) throw new TenantError(`parent tenant "${input.parent}" does not exist`);
        parentId = parent.id;
      }
      const { id: tenantId } = (await this.sql
        .prepare('INSERT INTO tenants (slug, name, parent_id, created_at, inboxes) VALUES (?, ?, ?, ?, ?) RETURNING id')
        .get(slug, input.name?.trim() || slug, parentId, createdAt, JSON.stringify(inboxes))) as { id: number };
      const addDomain = this.sql.prepare('INSERT INTO tenant_domains (tenant_id, domain) VALUES (?, ?) ON CONFLICT DO NOTHING');
      for (const domain of domains) await addDomain.run(tenantId, domain);
      const routes: Route[] = [
        ...replyDomains.map((value) => ({ kind: 'reply_domain' as const, value })),
        ...forwards.map((value) => ({ kind: 'forward_address' as const, value })),
      ];
      for (const route of routes) await this.insertRoute(tenantId, route, createdAt);
      return tenantId;
    });
    await this.routesChanged();
    return (await this.get(slug)) as Tenant;
  }

  private async insertRoute(tenantId: number, route: Route, createdAt: string): Promise<void> {
    const owner = (await this.sql.prepare('SELECT t.slug FROM routes r JOIN tenants t ON t.id = r.tenant_id WHERE r.value = ?').get(route.value)) as
      { slug: string } | undefined;
    if (owner) throw new TenantError(`${route.value} is already routed to tenant "${owner.slug}"`);
    if (route.kind === 'forward_address') {
      // A forwarding address inside a reply domain would be shadowed by it.
      const domain = route.value.slice(route.value.lastIndexOf('@') + 1);
      const shadow = await this.sql.prepare("SELECT 1 FROM routes WHERE kind = 'reply_domain' AND value = ?").get(domain);
      if (shadow) throw new TenantError(`${route.value} lies in reply domain ${domain}, which already takes every address there`);
    }
    const domain = route.value.slice(route.value.lastIndexOf('@') + 1);
    await this.sql
      .prepare('INSERT INTO routes (tenant_id, kind, value, domain, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(tenantId, route.kind, route.value, domain, createdAt);
  }

  async list(): Promise<Tenant[]> {
    const rows = (await this.sql
      .prepare(
        'SELECT t.id, t.slug, t.name, p.slug AS parent_slug, t.created_at, t.inboxes FROM tenants t LEFT JOIN tenants p ON p.id = t.parent_id ORDER BY t.slug',
      )
      .all()) as TenantRow[];
    return Promise.all(rows.map((row) => this.hydrate(row)));
  }

  async get(slug: string): Promise<Tenant | null> {
    const row = (await this.sql
      .prepare(
        'SELECT t.id, t.slug, t.name, p.slug AS parent_slug, t.created_at, t.inboxes FROM tenants t LEFT JOIN tenants p ON p.id = t.parent_id WHERE t.slug = ?',
      )
      .get(slug.toLowerCase())) as TenantRow | undefined;
    return row ? await this.hydrate(row) : null;
  }

  /** The tenant and its subcompanies at any depth: what an API token of the tenant may see. */
  async subtreeIds(tenantId: number): Promise<number[]> {
    return (await this.sql
      .prepare('WITH RECURSIVE sub(id) AS (SELECT CAST(? AS BIGINT) UNION SELECT t.id FROM tenants t JOIN sub ON t.parent_id = sub.id) SELECT id FROM sub')
      .pluck()
      .all(tenantId)) as number[];
  }

  async slugOf(tenantId: number): Promise<string> {
    const row = (await this.sql.prepare('SELECT slug FROM tenants WHERE id = ?').get(tenantId)) as { slug: string } | undefined;
    return row?.slug ?? `#${tenantId}`;
  }

  private async hydrate(row: TenantRow): Promise<Tenant> {
    const domains = ((await this.sql.prepare('SELECT domain FROM tenant_domains WHERE tenant_id = ? ORDER BY domain').all(row.id)) as { domain: string }[]).map(
      (r) => r.domain,
    );
    const routes = (await this.sql.prepare('SELECT kind, value FROM routes WHERE tenant_id = ? ORDER BY value').all(row.id)) as Route[];
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

function fail(message: string): never {
  throw new TenantError(message);
}
