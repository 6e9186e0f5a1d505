// The provider for the relay benchmark and the soak: an smtp-server that takes
// AUTH PLAIN or LOGIN (user "bench", password "bench-password") and discards
// what it gets, in its own process so it never shares an event loop with the
// sender being measured. PROVIDER_FAIL_RATE (0..1) answers that share of
// recipients with a 451 (a 4xx storm). Prints its port on stdout.
import { SMTPServer } from 'smtp-server';

const failRate = Number(process.env.PROVIDER_FAIL_RATE ?? 0);
const server = new SMTPServer({
  disabledCommands: ['STARTTLS'],
  allowInsecureAuth: true,
  authMethods: ['PLAIN', 'LOGIN'],
  disableReverseLookup: true,
  logger: false,
  onAuth(auth, _session, callback) {
    if (auth.username === 'bench' && auth.password === 'bench-password') return callback(null, { user: 'bench' });
    callback(Object.assign(new Error('5.7.8 bad credentials'), { responseCode: 535 }));
  },
  onRcptTo(_address, _session, callback) {
    if (Math.random() < failRate) return callback(Object.assign(new Error('4.3.2 System busy, try again later'), { responseCode: 451 }));
    callback();
  },
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
