// A bare smtp-server that reads each message and answers 250 without storing
// anything: the intake benchmark's baseline, and the provider of the relay
// benchmark and the soak. In its own process, so it never shares an event loop
// with what is measured. Prints its port on stdout.
//   SINK_AUTH=1          require AUTH PLAIN/LOGIN as user "bench", password "bench-password"
//   SINK_FAIL_RATE=0.15  answer that share of recipients with 451 (a 4xx storm)
import { SMTPServer } from 'smtp-server';

const auth = process.env.SINK_AUTH === '1';
const failRate = Number(process.env.SINK_FAIL_RATE ?? 0);

const server = new SMTPServer({
  disabledCommands: auth ? ['STARTTLS'] : ['AUTH', 'STARTTLS'],
  authOptional: !auth,
  allowInsecureAuth: auth,
  authMethods: ['PLAIN', 'LOGIN'],
  disableReverseLookup: true,
  logger: false,
  size: 36_700_160,
  maxClients: 1000,
  onAuth(credentials, _session, callback) {
    if (credentials.username === 'bench' && credentials.password === 'bench-password') return callback(null, { user: 'bench' });
    callback(Object.assign(new Error('5.7.8 bad credentials'), { responseCode: 535 }));
  },
  // Only when asked: the intake baseline stays a bare server.
  ...(failRate > 0
    ? {
        onRcptTo(_address: unknown, _session: unknown, callback: (err?: Error | null) => void) {
          if (Math.random() < failRate) return callback(Object.assign(new Error('4.3.2 System busy, try again later'), { responseCode: 451 }));
          callback();
        },
      }
    : {}),
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
