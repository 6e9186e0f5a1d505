// Configuration: the schema (every key documented), the env-variable mapping and
// the loader that fails fast naming the bad key.
export { configSchema, type Config, type ConfigInput } from './schema.ts';
export { configKeys, envName, type ConfigKey } from './keys.ts';
export { loadConfig, type LoadOptions } from './load.ts';
