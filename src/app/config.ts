/**
 * mcpd's configuration: the chassis' sections and the built-in tool packs'
 * sections composed into the one schema that is loaded, validated, documented
 * (README table, config/mcpd.schema.json: `npm run config:schema`) and
 * redacted. Composed here, at the application, so that the chassis knows no
 * pack and each pack owns its own settings.
 */
import { z } from 'zod';
import {
  chassisSections,
  CHASSIS_SECRETS,
  jsonSchemaOf,
  loadConfigWith,
  redactConfigWith,
  referenceMarkdownOf,
  type ConfigSecrets,
  type ConfigSpec,
  type LoadedConfig,
  type LoadOptions,
} from '../chassis/config/index.js';
import { databaseSection } from '../packs/database/settings.js';
import { filesystemSection } from '../packs/filesystem/settings.js';
import { httpRequestsSection } from '../packs/http/settings.js';

export const configSchema = z.strictObject({
  ...chassisSections,
  database: databaseSection,
  httpRequests: httpRequestsSection,
  filesystem: filesystemSection,
});

export type McpdConfig = z.output<typeof configSchema>;
export type McpdConfigInput = z.input<typeof configSchema>;

/** The chassis' secrets and the packs': connection strings with passwords, credentials injected into outbound requests. */
export const CONFIG_SECRETS: ConfigSecrets = {
  paths: [...CHASSIS_SECRETS.paths, 'database.dsn', 'database.dsns', 'httpRequests.hostSecrets'],
  structured: [...CHASSIS_SECRETS.structured, 'database.dsns', 'httpRequests.hostSecrets'],
};

/** The dotted paths of every secret key. */
export const SECRET_PATHS: readonly string[] = CONFIG_SECRETS.paths;

const spec: ConfigSpec<typeof configSchema> = { schema: configSchema, secrets: CONFIG_SECRETS };

/**
 * Loads the configuration in layers — built-in defaults < config/<environment>.yaml
 * < MCPD_* environment variables < command-line flags — and validates it.
 */
export function loadConfig(options: LoadOptions = {}): LoadedConfig<McpdConfig> {
  return loadConfigWith(spec, options);
}

/** A copy safe to print or serve: every secret replaced. */
export function redactConfig(config: McpdConfig): Record<string, unknown> {
  return redactConfigWith(CONFIG_SECRETS, config);
}

/** The JSON Schema editors complete config files from (config/mcpd.schema.json). */
export function configJsonSchema(): Record<string, unknown> {
  return jsonSchemaOf(configSchema);
}

/** The README's configuration reference: every key, its environment variable, default and meaning. */
export function configReferenceMarkdown(): string {
  return referenceMarkdownOf(configJsonSchema(), CONFIG_SECRETS);
}

export { ConfigError, type ConfigIssue, type LoadedConfig, type LoadOptions } from '../chassis/config/index.js';
