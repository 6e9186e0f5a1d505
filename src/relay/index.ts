// The relay: sending through each customer's own SMTP accounts. Composing
// (our Message-ID, the reply-token Reply-To, thread headers) into the durable
// outbound queue, the relay loop that paces and sends it on its own thread, the
// staged connection test with provider advice, and the test email round trip.
export { composeOutbound, chooseAccount, tenantChain, replyDomainOf, type ComposeRequest, type ComposeDeps } from './compose.ts';
export { Relay, classifySendError, type SendResult, type RelayDeps } from './sender.ts';
export { mailOf } from './mail.ts';
export { diagnoseAccount, type DiagnosisResult } from './diagnose.ts';
export { adviceFor, type Stage } from './advice.ts';
export { failureOf, failureWords, stageOfFailure, type OutboundFailure, type OutboundFailureCause } from './failure.ts';
export { sendTestEmail, type TestEmailResult } from './test-email.ts';
export { PROVIDERS, isProvider, type ProviderName, type ProviderPreset, type Security } from './providers.ts';
