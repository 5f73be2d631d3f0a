/** The JSON Schema of a config file, generated from a zod schema (mcpd's: configJsonSchema in src/app/config.ts). */
import { z } from 'zod';

export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...json, $id: 'https://mcpd.dev/schema/config.json', title: 'mcpd configuration' };
}
