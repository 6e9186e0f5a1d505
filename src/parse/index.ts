// Parsing: mailparser into our own ParsedMessage type, with attachments streamed
// to content-addressed files (sha256) under the data dir.
export { parseMessage } from './parse.ts';
export { attachmentPath, attachmentsDir, storeAttachment } from './attachments.ts';
export type { Address, AttachedMessage, AttachmentInfo, ParsedMessage } from './parsed-message.ts';
export { findHeaderBlock, addressOf, ADDRESS_IN_TEXT, type HeaderBlock } from './header-block.ts';
