// ParsedMessage: our own plain type for what a message says, independent of the
// parser library, so later stages (classify, reply, match) never see mailparser.

export interface Address {
  name: string;
  address: string;
}

export interface AttachmentInfo {
  filename: string | null;
  contentType: string;
  size: number;
  /** Content address of the stored bytes: <data dir>/attachments/<sha256[0:2]>/<sha256>. */
  sha256: string;
  contentId: string | null;
  /** Referenced from the HTML body (an embedded image) rather than attached. */
  inline: boolean;
}

/** The headers of a message attached whole (message/rfc822): a forward as attachment. */
export interface AttachedMessage {
  from: Address | null;
  to: Address[];
  subject: string | null;
  date: string | null;
}

export interface ParsedMessage {
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  subject: string | null;
  date: string | null;
  from: Address | null;
  to: Address[];
  cc: Address[];
  replyTo: Address[];
  /** Plain text body; derived from the HTML when there is no text part. */
  text: string | null;
  html: string | null;
  attachments: AttachmentInfo[];
  /** Header names in lower case with their decoded values (first occurrence), for classification. */
  headers: Record<string, string>;
  attachedMessages: AttachedMessage[];
  /** The message/delivery-status part of a DSN (RFC 3464), as text; null when there is none. */
  deliveryStatus: string | null;
}
