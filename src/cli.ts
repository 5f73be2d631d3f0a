#!/usr/bin/env node
/**
 * The `mcpd` command.
 *
 *   mcpd serve [--transport stdio|http] [--config F] [--env E] [--port N] [--host H]
 *   mcpd config check [--config F] [--env E]
 *   mcpd config schema
 *   mcpd tools list [--config F]
 *   mcpd --version | --help
 *
 * Configuration is read only after the arguments say which file and
 * environment. In stdio mode nothing but protocol reaches stdout.
 */
import { parseArgs } from 'node:util';
import { stringify as toYaml } from 'yaml';
import { createMcpd } from './app/mcpd.js';
import { runMcpd } from './app/run.js';
import { ConfigError, configJsonSchema, loadConfig, redactConfig, type LoadOptions } from './app/config.js';
import { createLogger } from './observability/logger.js';
import { createApiKey } from './security/auth/api-keys.js';
import { readOnlyRoleSql } from './packs/database/role.js';
import { VERSION } from './version.js';

const HELP = `mcpd ${VERSION} — production-grade MCP server

Usage:
  mcpd serve [options]          run the server (Streamable HTTP by default)
  mcpd config check [options]   print the effective configuration (secrets redacted) or what is wrong
  mcpd config schema            print the JSON Schema of config files
  mcpd tools list [options]     list the tools the configuration enables, without starting
  mcpd apikey create --name N [--scopes a,b]
                                a new API key, and the entry for MCPD_AUTH__API_KEYS (only its hash)
  mcpd db role-sql --name ROLE --database DB [--schemas a,b]
                                the SQL that creates a read-only role for mcpd's database DSN
  mcpd --version | --help

Options:
  --config F      config file (default: config/<environment>.yaml when present)
  --env E         environment name (default: $MCPD_ENV, $NODE_ENV, development)
  --transport T   http or stdio
  --host H        HTTP bind address
  --port N        HTTP port

Every key can also be set with MCPD_<SECTION>__<KEY> environment variables
(e.g. MCPD_HTTP__PORT=8080); secrets only from the environment or *_FILE.
`;

interface Parsed {
  command: string[];
  name: string | undefined;
  scopes: string[];
  database: string | undefined;
  schemas: string[];
  load: LoadOptions;
  help: boolean;
  version: boolean;
}

function parse(argv: string[]): Parsed {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string' },
      env: { type: 'string' },
      transport: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      name: { type: 'string' },
      scopes: { type: 'string' },
      database: { type: 'string' },
      schemas: { type: 'string' },
      version: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const flags: Record<string, unknown> = {};
  const flagSources: Record<string, string> = {};
  const set = (section: string, key: string, value: unknown, flag: string) => {
    ((flags[section] ??= {}) as Record<string, unknown>)[key] = value;
    flagSources[`${section}.${key}`] = `flag --${flag}`;
  };
  if (values.env !== undefined) {
    flags.environment = values.env;
    flagSources.environment = 'flag --env';
  }
  if (values.transport !== undefined) set('server', 'transport', values.transport, 'transport');
  if (values.host !== undefined) set('http', 'host', values.host, 'host');
  if (values.port !== undefined) set('http', 'port', /^\d+$/.test(values.port) ? Number(values.port) : values.port, 'port');
  return {
    command: positionals,
    name: values.name,
    scopes: values.scopes === undefined ? [] : values.scopes.split(',').map((scope) => scope.trim()).filter(Boolean),
    database: values.database,
    schemas: values.schemas === undefined ? [] : values.schemas.split(',').map((schema) => schema.trim()).filter(Boolean),
    load: { file: values.config, flags, flagSources },
    help: values.help ?? false,
    version: values.version ?? false,
  };
}

function serve(load: LoadOptions): Promise<number> {
  const { config } = loadConfig(load);
  return runMcpd(createMcpd(config));
}

function toolsList(load: LoadOptions): number {
  const { config } = loadConfig(load);
  const mcpd = createMcpd(config, { logger: createLogger({ ...config.logging, level: 'silent' }, { stdio: true }) });
  const tools = mcpd.server.engine.registry.listTools();
  if (tools.length === 0) process.stdout.write('No tools are enabled by this configuration.\n');
  for (const tool of tools) {
    const annotations = (tool.annotations ?? {}) as Record<string, unknown>;
    const hints = Object.entries(annotations)
      .filter(([key, value]) => key.endsWith('Hint') && value === true)
      .map(([key]) => key.replace(/Hint$/, ''));
    process.stdout.write(`${String(tool.name)}${hints.length ? ` [${hints.join(', ')}]` : ''}\n  ${String(tool.description ?? '')}\n`);
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parse(argv);
  } catch (error) {
    process.stderr.write(`mcpd: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (parsed.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const [command = 'serve', sub] = parsed.command;
  if (parsed.help) {
    process.stdout.write(HELP);
    return 0;
  }
  try {
    if (command === 'serve') return await serve(parsed.load);
    if (command === 'config' && sub === 'check') {
      const { config, file } = loadConfig(parsed.load);
      process.stdout.write(`# effective configuration${file ? ` (file: ${file})` : ' (no config file)'}; secrets redacted\n${toYaml(redactConfig(config))}`);
      return 0;
    }
    if (command === 'config' && sub === 'schema') {
      process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
      return 0;
    }
    if (command === 'tools' && sub === 'list') return toolsList(parsed.load);
    if (command === 'db' && sub === 'role-sql') {
      if (!parsed.name || !parsed.database) {
        process.stderr.write('mcpd: db role-sql needs --name and --database\n');
        return 2;
      }
      process.stdout.write(readOnlyRoleSql(parsed.name, parsed.database, parsed.schemas.length ? parsed.schemas : ['public']));
      return 0;
    }
    if (command === 'apikey' && sub === 'create') {
      if (!parsed.name) {
        process.stderr.write('mcpd: apikey create needs --name\n');
        return 2;
      }
      const { key, entry } = createApiKey(parsed.name, parsed.scopes);
      process.stdout.write(
        `key (give it to the client; it is not stored anywhere):\n  ${key}\nentry (add to the JSON list in MCPD_AUTH__API_KEYS or its _FILE):\n  ${JSON.stringify(entry)}\n`,
      );
      return 0;
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`mcpd: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  process.stderr.write(`mcpd: unknown command "${parsed.command.join(' ')}"\n\n${HELP}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`mcpd: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
