/**
 * The configuration reference (a Markdown table of every key, its environment
 * variable, default and meaning), generated from the schema so the README
 * cannot drift from the code.
 */
import type { ConfigSecrets } from './schema.js';

interface JsonSchemaNode {
  type?: string | string[];
  properties?: Record<string, JsonSchemaNode>;
  default?: unknown;
  description?: string;
  enum?: unknown[];
  items?: JsonSchemaNode;
  anyOf?: JsonSchemaNode[];
}

const envName = (path: string[]): string =>
  `MCPD_${path.map((segment) => segment.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('__')}`;

function typeOf(node: JsonSchemaNode): string {
  if (node.enum) return node.enum.map((value) => `\`${String(value)}\``).join(' \\| ');
  if (node.type === 'array') return `${typeOf(node.items ?? {})}[]`;
  if (Array.isArray(node.type)) return node.type.join(' \\| ');
  return node.type ?? 'any';
}

function rows(node: JsonSchemaNode, path: string[], secrets: ConfigSecrets, out: string[]): void {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const childPath = [...path, key];
    if (child.type === 'object' && child.properties) {
      rows(child, childPath, secrets, out);
      continue;
    }
    const dotted = childPath.join('.');
    const secret = secrets.paths.includes(dotted);
    const env =
      dotted === 'environment'
        ? '`MCPD_ENV` (or `NODE_ENV`, `--env`)'
        : secret
          ? `\`${envName(childPath)}\` or \`${envName(childPath)}_FILE\``
          : `\`${envName(childPath)}\``;
    const defaultValue = child.default === undefined ? '—' : `\`${JSON.stringify(child.default)}\``;
    const description = (child.description ?? '').replace(/\|/g, '\\|');
    out.push(`| \`${dotted}\` | ${typeOf(child)} | ${defaultValue} | ${env} | ${description} |`);
  }
}

/** The table for a config's JSON Schema (mcpd's: configReferenceMarkdown in src/app/config.ts). */
export function referenceMarkdownOf(jsonSchema: Record<string, unknown>, secrets: ConfigSecrets): string {
  const out = ['| key | type | default | environment variable | meaning |', '|---|---|---|---|---|'];
  rows(jsonSchema as JsonSchemaNode, [], secrets, out);
  return out.join('\n');
}
