// The operator's command line (commander): serve, tenants, messages, stats,
// config. Tables for people, --json for scripts; the JSON names are public.
export { buildProgram, main } from './main.ts';
