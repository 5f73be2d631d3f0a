/**
 * `http_request`: one tool for every method the operator allows — agents pay
 * tokens for each tool, and the method is one argument. The answer is the
 * status, a few useful headers and the body as JSON, text (HTML reduced to
 * readable text) or, for binary, an embedded resource or a size note; all of
 * it also as `structuredContent`.
 */
import { z } from 'zod';
import type { ToolDefinition } from '../../api/types.js';
import type { HttpCall, HttpClient, HttpOutcome } from './client.js';
import type { HttpMethod, HttpRequestsSettings } from './settings.js';

const WRITING = new Set<HttpMethod>(['POST', 'PUT', 'PATCH', 'DELETE']);

function describeLimits(settings: HttpRequestsSettings): string {
  const parts = [`Methods: ${settings.methods.join(', ')}.`];
  if (settings.allowHosts.length > 0) parts.push(`Hosts: ${settings.allowHosts.join(', ')}.`);
  parts.push(`Bodies over ${Math.round(settings.maxResponseBytes / 1024)} KiB are cut (flagged \`truncated\`).`);
  return parts.join(' ');
}

function contentOf(outcome: HttpOutcome): Record<string, unknown>[] {
  const head = `HTTP ${outcome.status} ${outcome.url}${outcome.headers['content-type'] ? `\ncontent-type: ${outcome.headers['content-type']}` : ''}${outcome.truncated ? `\n(body truncated at ${outcome.bytes} bytes)` : ''}${outcome.cached ? '\n(from cache)' : ''}`;
  const body = outcome.body;
  if (body.kind === 'binary') {
    if (!body.base64) return [{ type: 'text', text: `${head}\n\n[binary ${body.mimeType}, ${body.bytes} bytes: too large to include]` }];
    if (body.mimeType.startsWith('image/')) return [{ type: 'text', text: head }, { type: 'image', data: body.base64, mimeType: body.mimeType }];
    return [{ type: 'text', text: head }, { type: 'resource', resource: { uri: outcome.url, mimeType: body.mimeType, blob: body.base64 } }];
  }
  // JSON as the server sent it: re-printing a large document costs more than the whole request.
  const text = body.text;
  return [{ type: 'text', text: text ? `${head}\n\n${text}` : head }];
}

function structuredOf(outcome: HttpOutcome): Record<string, unknown> {
  const body = outcome.body;
  const view =
    body.kind === 'json'
      ? { kind: body.kind, json: body.json }
      : body.kind === 'binary'
        ? { kind: body.kind, mimeType: body.mimeType, bytes: body.bytes, included: body.base64 !== undefined }
        : { kind: body.kind, text: body.text };
  // Built field by field (no rest/spread copies: this runs on every call).
  const structured: Record<string, unknown> = {
    url: outcome.url,
    status: outcome.status,
    headers: outcome.headers,
    truncated: outcome.truncated,
    bytes: outcome.bytes,
    attempts: outcome.attempts,
    redirects: outcome.redirects,
  };
  if (outcome.cached !== undefined) structured.cached = outcome.cached;
  structured.body = view;
  return structured;
}

export function httpRequestTool(settings: HttpRequestsSettings, client: () => HttpClient): ToolDefinition<any, any> {
  const methods = settings.methods as [HttpMethod, ...HttpMethod[]];
  const writes = methods.some((method) => WRITING.has(method));
  return {
    name: 'http_request',
    title: 'Make an HTTP request',
    description:
      'Call a web API or fetch a page over HTTP(S). Returns the status, useful headers and the body: JSON parsed, text as text, HTML reduced to readable text ' +
      '(`html: "raw"` for the markup), images and other binary as attachments. Idempotent requests are retried on 429/502/503/504 and connection errors. ' +
      'Private and internal addresses are refused. ' +
      describeLimits(settings),
    input: z.object({
      method: z.enum(methods).default('GET'),
      url: z.string().min(1).max(8192).describe('An absolute http:// or https:// URL.'),
      query: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional().describe('Query parameters added to the URL.'),
      headers: z.record(z.string(), z.string().max(8192)).optional().describe('Request headers (Host, Content-Length and other framing headers are set by the server).'),
      json: z.unknown().optional().describe('A JSON request body (sets content-type application/json).'),
      body: z.string().max(1_000_000).optional().describe('A text request body (when json is not given).'),
      timeoutMs: z.number().int().positive().optional().describe(`Total time for the call, retries included (default ${settings.timeoutMs}, at most ${settings.maxTimeoutMs}).`),
      retries: z.number().int().min(0).optional().describe(`Retries for idempotent requests (default ${settings.retry.maxRetries}, at most ${settings.retry.maxAllowedRetries}).`),
      cacheTtlMs: z.number().int().min(0).optional().describe(`Serve a GET from cache if fetched within this many ms, and keep this answer as long (at most ${settings.cache.maxTtlMs}).`),
      html: z.enum(['text', 'raw']).optional().describe('HTML as readable text (default) or as received.'),
    }),
    output: z.object({
      url: z.string(),
      status: z.number(),
      headers: z.record(z.string(), z.string()),
      body: z.looseObject({ kind: z.enum(['json', 'text', 'html', 'binary']) }),
      truncated: z.boolean(),
      bytes: z.number(),
      attempts: z.number(),
      redirects: z.array(z.string()),
      cached: z.boolean().optional(),
    }),
    annotations: { readOnlyHint: !writes, destructiveHint: writes, idempotentHint: !writes, openWorldHint: true },
    // Callers' own credentials travel in headers: never logged or put in the audit digest.
    sensitive: ['headers'],
    handler: async (
      args: { method: HttpMethod; url: string; query?: HttpCall['query']; headers?: Record<string, string>; json?: unknown; body?: string; timeoutMs?: number; retries?: number; cacheTtlMs?: number; html?: 'text' | 'raw' },
      ctx,
    ) => {
      const call: HttpCall = {
        method: args.method,
        url: args.url,
        query: args.query,
        headers: args.headers,
        body: args.json !== undefined ? { json: args.json } : args.body !== undefined ? { text: args.body } : undefined,
        timeoutMs: Math.min(args.timeoutMs ?? settings.timeoutMs, settings.maxTimeoutMs),
        maxRetries: Math.min(args.retries ?? settings.retry.maxRetries, settings.retry.maxAllowedRetries),
        cacheTtlMs: Math.min(args.cacheTtlMs ?? settings.cache.defaultTtlMs, settings.cache.maxTtlMs),
        html: args.html ?? settings.html,
      };
      const outcome = await client().request(call, ctx);
      return { content: contentOf(outcome), structuredContent: structuredOf(outcome) };
    },
  };
}
