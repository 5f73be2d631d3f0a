/**
 * Argument validation for tools that publish a raw JSON Schema (2020-12) instead
 * of a zod schema. Ajv compiles the schema once; Ajv itself is loaded only when
 * the first such tool registers, so servers without one never pay for it.
 */
import { createRequire } from 'node:module';
import type { ValidationOutcome } from './registry.js';

type AjvErrors = { instancePath: string; message?: string }[] | null | undefined;
interface CompiledValidator {
  (data: unknown): boolean;
  errors?: AjvErrors;
}
interface AjvInstance {
  compile(schema: Record<string, unknown>): CompiledValidator;
}

let ajv: AjvInstance | undefined;

function instance(): AjvInstance {
  if (!ajv) {
    const require = createRequire(import.meta.url);
    const Ajv2020 = require('ajv/dist/2020.js').default as new (options: Record<string, unknown>) => AjvInstance;
    // addUsedSchema: false — schemas with an $id must compile again (re-registration, several servers).
    ajv = new Ajv2020({ strict: false, allErrors: false, addUsedSchema: false });
  }
  return ajv;
}

export function compileJsonSchemaValidator(schema: Record<string, unknown>): (args: unknown) => ValidationOutcome<Record<string, unknown>> {
  const validate = instance().compile(schema);
  return (args: unknown) => {
    const value = (args ?? {}) as Record<string, unknown>;
    if (validate(value)) return { ok: true, value };
    const message = (validate.errors ?? [])
      .slice(0, 10)
      .map((error) => `${error.instancePath || '(arguments)'}: ${error.message ?? 'is invalid'}`)
      .join('; ');
    return { ok: false, message };
  };
}
