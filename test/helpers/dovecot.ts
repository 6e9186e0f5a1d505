// Dovecot for the tests (scripts/lib/dovecot.ts), in a temporary directory removed with the others.
import { startDovecot as startIn, type Dovecot } from '../../scripts/lib/dovecot.ts';
import { tempDir } from './server.ts';

export { DOVECOT, dovecotUnavailable, type Dovecot } from '../../scripts/lib/dovecot.ts';

export function startDovecot(options: { specialUse?: boolean; sentName?: string } = {}): Promise<Dovecot> {
  return startIn(tempDir('mailroom-dovecot-'), options);
}
