// Reply text: what the sender actually wrote, without quotes and signature.
export { replyText } from './reply-text.ts';
