// Writes config/mcpd.schema.json from the zod schema (the single source of truth),
// so editors complete and check config/*.yaml. A test fails if the file is stale.
import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../dist/chassis/config/json-schema.js';

writeFileSync(new URL('../config/mcpd.schema.json', import.meta.url), `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log('wrote config/mcpd.schema.json');
