// Regenerates what is derived from the config schema (the single source of truth):
// config/mcpd.schema.json for editors, and the reference table in README.md.
// Tests fail when either is stale: run `npm run config:schema` after changing the schema.
import { readFileSync, writeFileSync } from 'node:fs';
import { configJsonSchema, configReferenceMarkdown } from '../dist/app/config.js';

writeFileSync(new URL('../config/mcpd.schema.json', import.meta.url), `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
const readmeUrl = new URL('../README.md', import.meta.url);
const readme = readFileSync(readmeUrl, 'utf8');
const start = '<!-- config-reference:start -->';
const end = '<!-- config-reference:end -->';
const from = readme.indexOf(start);
const to = readme.indexOf(end);
if (from === -1 || to === -1) throw new Error('README.md lacks the config reference markers');
writeFileSync(readmeUrl, `${readme.slice(0, from + start.length)}\n${configReferenceMarkdown()}\n${readme.slice(to)}`);
console.log('wrote config/mcpd.schema.json and the README configuration reference');
