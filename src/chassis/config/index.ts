export { configSchema, SECRET_PATHS, type McpdConfig, type McpdConfigInput } from './schema.js';
export { ConfigError, loadConfig, redactConfig, type ConfigIssue, type LoadedConfig, type LoadOptions } from './load.js';
export { configJsonSchema } from './json-schema.js';
