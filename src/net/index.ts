// Outbound connections a tenant can point us at (webhook endpoints, an account's
// SMTP host or OAuth token URL given through the API) reach only the public
// internet: the address classes that lead into our own or a cloud's network
// are refused, and a connection goes to the address that was checked, never to
// a second DNS answer (no rebinding). The operator may allow private targets.
export { nonPublicRange, RANGE_NAMES } from './address-ranges.ts';
export { checkTargetUrl, resolvePublicTarget, type CheckedTarget, type TargetRules } from './public-target.ts';
export { postPinned, type PinnedResponse } from './pinned-request.ts';
