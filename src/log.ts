// Structured JSON logging (pino). One root logger per process; each subsystem
// takes a child with its own bindings (subsystem, session id, message id).
// Never log message bodies, passwords or keys: the redact list is a backstop.
// It names top-level fields only: wildcard paths (*.password) made every log
// line walk its object, a cost the SMTP thread paid once per message.
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'mailroom' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['password', 'secret', 'key', 'raw', 'accessToken', 'refreshToken'],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
