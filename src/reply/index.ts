// Reply text: what the sender actually wrote, without quotes and signature
// (a closing and the name under it stay).
export { replyText } from './reply-text.ts';
