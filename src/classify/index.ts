// Classification: what kind of message this is (message, bounce, auto_reply,
// forwarding_verification, feedback_report, mailing_list, unparseable), with the details a later
// stage needs (the bounce's failed recipient, the verification code and link).
export { classify, type Classification, type MessageKind } from './classify.ts';
export { detectBounce, type BounceInfo } from './bounce.ts';
export { detectAutoReply } from './auto-reply.ts';
export { detectForwardingVerification, type ForwardingVerification } from './verification.ts';
export { detectForward, readForwardBody, type ForwardInfo } from './forward.ts';
