/**
 * Identity helpers that give a definition its types: `defineTool({ input: z.object(…), handler(args) {…} })`
 * infers `args` from the schema. They return the definition unchanged.
 */
import type {
  PromptDefinition,
  ResourceDefinition,
  ResourceTemplateDefinition,
  ToolDefinition,
  ZodObjectLike,
} from './types.js';

export function defineTool<I extends ZodObjectLike, O extends ZodObjectLike = ZodObjectLike>(
  definition: ToolDefinition<I, O>,
): ToolDefinition<I, O> {
  return definition;
}

export function defineResource(definition: ResourceDefinition): ResourceDefinition {
  return definition;
}

export function defineResourceTemplate(definition: ResourceTemplateDefinition): ResourceTemplateDefinition {
  return definition;
}

export function definePrompt<A extends ZodObjectLike>(definition: PromptDefinition<A>): PromptDefinition<A> {
  return definition;
}
