// nodemailer for the relay, required rather than imported. nodemailer is
// CommonJS: imported from ESM, each require() of a Node built-in inside it goes
// through the ESM loader, which builds that built-in's ESM facade by reading
// every export, and node:http's http.WebSocket loads undici. Required, it loads
// in about half the CPU (~20 ms instead of ~35-40 ms), and a relay thread
// started for an API send loads it before that send can leave.
import { createRequire } from 'node:module';
import type * as Nodemailer from 'nodemailer';
import type DkimSigner from 'nodemailer/lib/dkim';
import type Composer from 'nodemailer/lib/mail-composer';

const require = createRequire(import.meta.url);

export const nodemailer = require('nodemailer') as typeof Nodemailer;
export const DKIM = require('nodemailer/lib/dkim') as typeof DkimSigner;
export const MailComposer = require('nodemailer/lib/mail-composer') as typeof Composer;
export type DkimOptions = DkimSigner.SingleKeyOptions;
export type { Transporter } from 'nodemailer';
