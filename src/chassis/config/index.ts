export { chassisSections, CHASSIS_SECRETS, type AuthSettings, type ConfigSecrets, type LoggingSettings, type TracingSettings } from './schema.js';
export { ConfigError, loadConfigWith, redactConfigWith, type ConfigIssue, type ConfigSpec, type LoadedConfig, type LoadOptions } from './load.js';
export { jsonSchemaOf } from './json-schema.js';
export { referenceMarkdownOf } from './reference.js';
