// The baseline for the intake benchmark: a bare smtp-server that reads each
// message and answers 250 without storing anything. Prints its port on stdout.
import { SMTPServer } from 'smtp-server';

const server = new SMTPServer({
  disabledCommands: ['AUTH', 'STARTTLS'],
  authOptional: true,
  disableReverseLookup: true,
  logger: false,
  size: 36_700_160,
  maxClients: 1000,
  onData(stream, _session, callback) {
    stream.on('data', () => undefined);
    stream.on('end', () => callback(null, 'Ok: discarded'));
  },
});
server.on('error', () => undefined);
const net = server.listen(0, '127.0.0.1', () => {
  const address = net.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
