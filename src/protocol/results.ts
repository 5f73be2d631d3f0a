/**
 * Turning what handlers return into spec-shaped results, once per call.
 */
import type {
  CallToolResult,
  ContentBlock,
  GetPromptResult,
  PromptMessage,
  ResourceContents,
  ResourceReadReturn,
  ToolReturn,
} from '../api/types.js';
import { McpdError } from '../chassis/errors.js';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function normalizeToolResult(value: ToolReturn | undefined, hasOutputSchema: boolean): CallToolResult {
  if (typeof value === 'string') return { content: [{ type: 'text', text: value }] };
  if (value === undefined || value === null) return { content: [] };
  if (Array.isArray(value)) return { content: value as ContentBlock[] };
  if (Array.isArray((value as CallToolResult).content)) return value as CallToolResult;
  if (hasOutputSchema && isObject(value)) {
    return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
  }
  throw new McpdError('INTERNAL', 'Tool returned a value that is not a tool result');
}

export function normalizeResourceContents(uri: string, mimeType: string | undefined, value: ResourceReadReturn): ResourceContents[] {
  if (typeof value === 'string') return [mimeType === undefined ? { uri, text: value } : { uri, mimeType, text: value }];
  if (Array.isArray(value)) return value;
  if (isObject(value) && Array.isArray((value as { contents?: unknown }).contents)) {
    return (value as { contents: ResourceContents[] }).contents;
  }
  return [value as ResourceContents];
}

export function normalizePromptResult(value: GetPromptResult | PromptMessage[] | string): GetPromptResult {
  if (typeof value === 'string') return { messages: [{ role: 'user', content: { type: 'text', text: value } }] };
  if (Array.isArray(value)) return { messages: value };
  return value;
}
