// Tenants (companies and subcompanies), their own domains, and the routes we
// accept mail for: reply domains (any local part) and forwarding addresses.
import { domainToASCII } from 'node:url';
import type { Sql } from './sql/sql.ts';
import { ConflictError, InvalidError } from '../errors.ts';

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

/** A change to a tenant: each list given replaces that list; what is not given stays. */
export interface TenantChange {
  name?: string;
  domains?: string[];
  replyDomains?: string[];
  forwardAddresses?: string[];
  inboxes?: string[];
}

/** A rejected tenant change; the message is fit to show to an operator. */
/** A tenant that cannot be stored as given (a bad slug or domain, an address another tenant has): an invalid input. */
export class TenantError extends InvalidError {
  override name = 'TenantError';
}

/** An address or domain another tenant already receives at; `ownerId` says which, for whoever may know. */
export class RouteTakenError extends TenantError {
  override name = 'RouteTakenError';
  readonly value: string;
  readonly ownerId: number;
  constructor(value: string, owner: { id: number; slug: string }) {
    super(`${value} is already routed to tenant "${owner.slug}"`);
    this.value = value;
    this.ownerId = owner.id;
  }
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
    if (!SLUG.test(slug)) throw new TenantError(`tenant slug "${input.slug}" must be lower-case letters, digits and dashes`, 'slug');
    const given = normalized(input);
    const [domains, replyDomains, forwards] = [given.domains ?? [], given.replyDomains ?? [], given.forwardAddresses ?? []];
    assertReceives(domains, replyDomains, forwards, Boolean(input.parent));
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
        .get(slug, input.name?.trim() || slug, parentId, createdAt, JSON.stringify(given.inboxes ?? []))) as { id: number };
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

  /** Changes a tenant: each list given replaces that list (routes kept where they stay, so only the difference moves). */
  async update(slug: string, change: TenantChange): Promise<Tenant> {
    const tenant = await this.get(slug);
    if (!tenant) throw new TenantError(`no tenant "${slug}"`, 'tenant');
    const next = normalized(change);
    assertReceives(
      next.domains ?? tenant.domains,
      next.replyDomains ?? tenant.replyDomains,
      next.forwardAddresses ?? tenant.forwardAddresses,
      tenant.parent !== null,
    );
    const now = this.now().toISOString();
    let routesMoved = false;
    await this.sql.transaction(async () => {
      if (change.name !== undefined) await this.sql.prepare('UPDATE tenants SET name = ? WHERE id = ?').run(change.name.trim() || tenant.slug, tenant.id);
      if (next.inboxes) await this.sql.prepare('UPDATE tenants SET inboxes = ? WHERE id = ?').run(JSON.stringify(next.inboxes), tenant.id);
      if (next.domains) {
        await this.sql.prepare('DELETE FROM tenant_domains WHERE tenant_id = ?').run(tenant.id);
        const addDomain = this.sql.prepare('INSERT INTO tenant_domains (tenant_id, domain) VALUES (?, ?) ON CONFLICT DO NOTHING');
        for (const domain of next.domains) await addDomain.run(tenant.id, domain);
      }
      // Removals first, so a value moved from one list to the other is not its own conflict.
      const wanted: [RouteKind, string[] | undefined, string[]][] = [
        ['reply_domain', next.replyDomains, tenant.replyDomains],
        ['forward_address', next.forwardAddresses, tenant.forwardAddresses],
      ];
      const drop = this.sql.prepare('DELETE FROM routes WHERE tenant_id = ? AND kind = ? AND value = ?');
      for (const [kind, given, had] of wanted)
        for (const value of had.filter((v) => given && !given.includes(v))) {
          await drop.run(tenant.id, kind, value);
          routesMoved = true;
        }
      for (const [kind, given, had] of wanted)
        for (const value of (given ?? []).filter((v) => !had.includes(v))) {
          await this.insertRoute(tenant.id, { kind, value }, now);
          routesMoved = true;
        }
    });
    if (routesMoved) await this.routesChanged();
    return (await this.get(tenant.slug)) as Tenant;
  }

  /** Whether any of these tenants has received a message. */
  async hasMessages(tenantIds: readonly number[]): Promise<boolean> {
    return Boolean(
      await this.sql.prepare(`SELECT 1 FROM messages WHERE tenant_id IN (${this.sql.fn.jsonValues('integer')}) LIMIT 1`).get(JSON.stringify(tenantIds)),
    );
  }

  /** Stops receiving mail for these tenants (their routes go), ahead of removing them with their messages. */
  async closeRoutes(tenantIds: readonly number[]): Promise<void> {
    await this.sql.prepare(`DELETE FROM routes WHERE tenant_id IN (${this.sql.fn.jsonValues('integer')})`).run(JSON.stringify(tenantIds));
    await this.routesChanged();
  }

  /**
   * Deletes these tenants (a tenant and its subcompanies) with everything that
   * hangs on them (routes, candidates, accounts, tokens...). Their messages
   * must be gone first: one that arrived meanwhile refuses the whole removal.
   */
  async remove(tenantIds: readonly number[]): Promise<void> {
    const ids = JSON.stringify(tenantIds);
    await this.sql.transaction(async () => {
      if (await this.hasMessages(tenantIds)) throw new ConflictError('a message arrived for the tenant meanwhile: remove it again');
      await this.sql.prepare(`UPDATE tenants SET parent_id = NULL WHERE id IN (${this.sql.fn.jsonValues('integer')})`).run(ids);
      await this.sql.prepare(`DELETE FROM tenants WHERE id IN (${this.sql.fn.jsonValues('integer')})`).run(ids);
    });
    await this.routesChanged();
  }

  private async insertRoute(tenantId: number, route: Route, createdAt: string): Promise<void> {
    const owner = (await this.sql.prepare('SELECT t.id, t.slug FROM routes r JOIN tenants t ON t.id = r.tenant_id WHERE r.value = ?').get(route.value)) as
      { id: number | string; slug: string } | undefined;
    if (owner) throw new RouteTakenError(route.value, { id: Number(owner.id), slug: owner.slug });
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

  /** A page of tenants by slug after `after`, of these ids only when given. */
  async page(after: string | null, limit: number, tenantIds?: readonly number[]): Promise<Tenant[]> {
    const within = tenantIds ? ` AND t.id IN (${this.sql.fn.jsonValues('integer')})` : '';
    const rows = (await this.sql
      .prepare(
        `SELECT t.id, t.slug, t.name, p.slug AS parent_slug, t.created_at, t.inboxes FROM tenants t LEFT JOIN tenants p ON p.id = t.parent_id WHERE t.slug > ?${within} ORDER BY t.slug LIMIT ?`,
      )
      .all(...[after ?? '', ...(tenantIds ? [JSON.stringify(tenantIds)] : []), limit])) as TenantRow[];
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

function fail(message: string, field: string): never {
  throw new TenantError(message, field);
}

/** The lists given, normalized (lower case, punycode); undefined where not given. */
function normalized(input: Partial<Pick<NewTenant, 'domains' | 'replyDomains' | 'forwardAddresses' | 'inboxes'>>) {
  return {
    domains: input.domains?.map((d) => normalizeDomain(d) ?? fail(`"${d}" is not a domain name`, 'domains')),
    replyDomains: input.replyDomains?.map((d) => normalizeDomain(d) ?? fail(`reply domain "${d}" is not a domain name`, 'replyDomains')),
    forwardAddresses: input.forwardAddresses?.map((a) => normalizeAddress(a) ?? fail(`forwarding address "${a}" is not an email address`, 'forwardAddresses')),
    inboxes: input.inboxes?.map((a) => normalizeAddress(a) ?? fail(`inbox "${a}" is not an email address`, 'inboxes')),
  };
}

/** A tenant has a domain of its own, and a top-level one an address to receive at. */
function assertReceives(
  domains: readonly string[] | undefined,
  replyDomains: readonly string[] | undefined,
  forwards: readonly string[] | undefined,
  sub: boolean,
) {
  if (!domains?.length) throw new TenantError('a tenant needs at least one domain (the company domain its mail comes from)', 'domains');
  if ((replyDomains?.length ?? 0) + (forwards?.length ?? 0) === 0 && !sub) {
    throw new TenantError('a tenant needs at least one reply domain or forwarding address, or it can receive nothing', 'replyDomains');
  }
}
