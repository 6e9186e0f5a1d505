// The web console: pages served by `mailroom serve` under /console, where
// recruiters work the unassigned queue and administrators look after their
// tenant. Server-rendered HTML (hono/html escapes every value), no script of
// its own; sign-in by password with a session cookie (HttpOnly,
// SameSite=Strict, Secure behind TLS), a CSRF token on every form, and the
// same reach and operations as the API.
export { consoleRoutes } from './app.ts';
