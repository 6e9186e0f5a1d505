// Amazon SES notifications (bounce and complaint JSON, delivered by mail through
// SNS): a sending provider's bounce report that is no DSN at all.
import type { ParsedMessage } from '../parse/index.ts';
import type { BounceInfo } from './bounce.ts';

interface SesNotification {
  notificationType?: string;
  bounce?: { bounceType?: string; bouncedRecipients?: { emailAddress?: string; action?: string; status?: string; diagnosticCode?: string }[] };
  mail?: { messageId?: string };
}

function notificationIn(text: string): SesNotification | null {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start === -1 || end <= start || !text.includes('notificationType')) return null;
  try {
    // Mail transport may have wrapped the long JSON line: join it back.
    const outer = JSON.parse(text.slice(start, end + 1).replace(/\r?\n/g, '')) as SesNotification & { Message?: string };
    // Through SNS the notification is a JSON string inside the envelope's Message.
    return typeof outer.Message === 'string' ? (JSON.parse(outer.Message) as SesNotification) : outer;
  } catch {
    return null;
  }
}

export type SesReport = { kind: 'bounce'; bounce: BounceInfo } | { kind: 'complaint' };

export function detectSesReport(parsed: ParsedMessage): SesReport | null {
  const notification = notificationIn(parsed.text ?? '');
  if (!notification) return null;
  if (notification.notificationType === 'Complaint') return { kind: 'complaint' };
  if (notification.notificationType !== 'Bounce') return null;
  const recipient = notification.bounce?.bouncedRecipients?.[0];
  const status = recipient?.status ?? null;
  return {
    kind: 'bounce',
    bounce: {
      recipient: recipient?.emailAddress?.toLowerCase() ?? null,
      status,
      action: recipient?.action ?? 'failed',
      diagnostic: recipient?.diagnosticCode?.replace(/^smtp;\s*/i, '') ?? null,
      hard: notification.bounce?.bounceType === 'Permanent',
      originalMessageId: null,
    },
  };
}
