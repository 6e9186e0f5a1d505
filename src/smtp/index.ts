// The inbound SMTP listener: recipient routing (only our own addresses, never a
// relay), limits, STARTTLS, smuggling-safe DATA, and durable acceptance.
export { SmtpListener, type SmtpListenerDeps } from './listener.ts';
export { loadTlsMaterial, type TlsMaterial } from './tls.ts';
export { routeRecipient } from './recipients.ts';
export { DataGuard } from './data-guard.ts';
export { IncomingMessage } from './incoming.ts';
export * as replies from './replies.ts';
