// Checks of a customer's set-up (`mailroom tenants check`): DNS through the
// injected resolver, sending accounts, signals in the received mail, and
// forwarding tests; every finding with what to change.
export { checkTenant, type CheckOptions, type CheckReport } from './run.ts';
export type { CheckResult, CheckStatus } from './types.ts';
