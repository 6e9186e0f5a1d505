// POST /v1/accounts/oauth: "Sign in with Google / Microsoft" from the
// platform's own page. The answer is the provider's authorize URL; the
// customer's browser goes there, comes back to mailroom's callback (the
// console's, one redirect URI for both), and is sent on to the platform's
// returnUrl with `account=<id>`, or `error=<code>` and `error_description`.
// The same operation as the console's sign-in, with the token's reach.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { beginAccountSignIn, signInRedirectUri } from '../../operations/index.ts';
import type { ApiDeps, ApiEnv } from '../deps.ts';
import { json, problem, security } from './shared.ts';
import { tenantIn } from './scope.ts';

const OAuthStartSchema = z
  .object({
    provider: z.enum(['google', 'microsoft']),
    tenant: z.string().min(1).max(100).optional().openapi({ description: "The tenant the account is for (a subcompany's slug); default: the token's." }),
    owner: z.string().min(1).max(320).optional().openapi({ description: 'The console user whose account it is (their default), instead of the tenant.' }),
    name: z.string().min(1).max(100).optional().openapi({ description: 'Default: the mailbox signed in.' }),
    isDefault: z.boolean().optional(),
    returnUrl: z
      .string()
      .url()
      .max(2000)
      .openapi({ description: 'Where the browser goes afterwards, with `account` or `error` added to its query; must be under oauth.allowedReturnUrls.' }),
  })
  .openapi('OAuthStartRequest');

const OAuthStartedSchema = z
  .object({
    authorizeUrl: z.string().openapi({ description: "The provider's consent page: send the customer's browser there." }),
    expiresAt: z.string().openapi({ description: 'The sign-in must come back before this (ten minutes); it finishes once.' }),
  })
  .openapi('OAuthStarted');

export function oauthRoutes(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/accounts/oauth',
      security,
      description:
        'Starts a sign-in with Google or Microsoft for a new sending account. On return the browser is sent to returnUrl with `account=<id>` (the account, Pending until tested) or `error=<code>` (unknown_sign_in, access_denied, grant_refused, invalid_id_token, wrong_issuer, wrong_audience, expired_id_token, no_email, unverified_email, account_refused) and `error_description`.',
      request: { body: { content: { 'application/json': { schema: OAuthStartSchema } }, required: true } },
      responses: {
        201: json(OAuthStartedSchema, 'the sign-in waits for the browser (any node can finish it)'),
        400: problem('invalid request'),
        404: problem('unknown tenant, or the provider is not configured'),
        422: problem('returnUrl is not allowed (oauth.allowedReturnUrls)'),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const scope = c.get('scope');
      const tenant = await tenantIn(ctx, scope, body.tenant);
      const started = await beginAccountSignIn(
        ctx,
        scope,
        { provider: body.provider, tenant: tenant.slug, owner: body.owner, name: body.name, isDefault: body.isDefault },
        signInRedirectUri(ctx.config, c.req.url),
        { platform: String(scope.tokenId), returnUrl: body.returnUrl },
      );
      return c.json({ authorizeUrl: started.url, expiresAt: started.expiresAt }, 201);
    },
  );
}
