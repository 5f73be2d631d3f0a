/**
 * What an agent gets of a response body: JSON parsed when the content type
 * says JSON (and it parses), text decoded with the declared charset, HTML
 * reduced to readable text with link targets kept (or the markup, on request),
 * and binary as base64 for an embedded resource when small enough, otherwise
 * only its type and size.
 */
import { compile } from 'html-to-text';

export type BodyView =
  | { kind: 'json'; json: unknown; text: string }
  | { kind: 'text'; text: string }
  | { kind: 'html'; text: string; raw?: string }
  | { kind: 'binary'; base64?: string; mimeType: string; bytes: number };

export interface ViewOptions {
  /** HTML as readable text, or the markup as received. */
  html: 'text' | 'raw';
  /** The body was cut at the size cap (JSON is then not parsed, binary not inlined). */
  truncated: boolean;
  /** Largest binary body returned as base64. */
  maxInlineBinaryBytes: number;
  /** The response's URL: relative links in HTML are made absolute against it. */
  baseUrl?: string;
}

interface MediaType {
  /** `type/subtype`, lower case; '' when absent or malformed. */
  readonly essence: string;
  readonly charset: string | undefined;
}

/** The last header parsed: responses of one API repeat the same content type. */
let lastContentType: { value: string; type: MediaType } | undefined;

export function parseContentType(value: string | undefined): MediaType {
  if (!value) return { essence: '', charset: undefined };
  if (lastContentType?.value === value) return lastContentType.type;
  const type = parseMediaType(value);
  lastContentType = { value, type };
  return type;
}

function parseMediaType(value: string): MediaType {
  const [head, ...params] = value.split(';');
  const essence = head.trim().toLowerCase();
  let charset: string | undefined;
  for (const param of params) {
    const match = /^\s*charset\s*=\s*(?:"([^"]*)"|([^\s;]*))/i.exec(param);
    if (match) {
      charset = (match[1] ?? match[2]).trim().toLowerCase() || undefined;
      break;
    }
  }
  return { essence: /^[\w.+-]+\/[\w.+-]+$/.test(essence) ? essence : '', charset };
}

const JSON_TYPES = new Set(['application/json', 'text/json', 'application/x-json']);
const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);
const TEXT_APPLICATION_TYPES = new Set([
  'application/xml',
  'application/javascript',
  'application/ecmascript',
  'application/x-javascript',
  'application/x-www-form-urlencoded',
  'application/yaml',
  'application/x-yaml',
  'application/toml',
  'application/graphql',
  'application/sql',
  'application/csv',
  'application/x-ndjson',
  'application/jsonl',
  'application/x-sh',
  'application/x-httpd-php',
]);

type Kind = 'json' | 'html' | 'text' | 'binary' | 'unknown';

function kindOf(essence: string): Kind {
  if (essence === '') return 'unknown';
  if (JSON_TYPES.has(essence) || essence.endsWith('+json')) return 'json';
  if (HTML_TYPES.has(essence)) return 'html';
  if (essence.startsWith('text/') || essence.endsWith('+xml') || TEXT_APPLICATION_TYPES.has(essence)) return 'text';
  return 'binary';
}

/** windows-1252 bytes 0x80–0x9F (WHATWG index): where it differs from ISO-8859-1. */
const WINDOWS_1252_HIGH = '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';
/** Node 20's TextDecoder decodes windows-1252 (and so `iso-8859-1`, `latin1`, `ascii`, which the Encoding standard maps to it) as ISO-8859-1. */
const WINDOWS_1252_BROKEN = new TextDecoder('windows-1252').decode(Uint8Array.of(0x80)) !== '\u20ac';

/**
 * Decodes with the charset's decoder (unknown labels fall back to UTF-8);
 * malformed bytes become U+FFFD. A cut body drops its incomplete last character.
 */
export function decodeText(bytes: Buffer, charset: string | undefined, truncated = false): string {
  // The common case without a decoder: whole UTF-8 (Buffer's decoder replaces malformed bytes as TextDecoder does; the BOM is dropped as TextDecoder drops it).
  if (!truncated && (charset === undefined || charset === 'utf-8' || charset === 'utf8')) {
    const start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    return bytes.toString('utf8', start);
  }
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(charset ?? 'utf-8', { fatal: false });
  } catch {
    decoder = new TextDecoder('utf-8', { fatal: false });
  }
  const text = decoder.decode(bytes, { stream: truncated });
  if (WINDOWS_1252_BROKEN && decoder.encoding === 'windows-1252') {
    return text.replace(/[\x80-\x9f]/g, (c) => WINDOWS_1252_HIGH[c.charCodeAt(0) - 0x80]);
  }
  return text;
}

/** HTML's prescan, simplified: a `<meta charset>` or `<meta http-equiv content="…; charset=…">` in the first 1024 bytes. */
function htmlMetaCharset(bytes: Buffer): string | undefined {
  const head = bytes.subarray(0, 1024).toString('latin1');
  const match = /<meta\b[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head);
  const label = match?.[1].toLowerCase();
  // A document that can declare its charset in ASCII is not UTF-16, whatever it says (the HTML standard's rule).
  return label?.startsWith('utf-16') ? 'utf-8' : label;
}

/** Without a content type: text when it decodes as UTF-8 and has no control bytes of binary formats. */
function looksLikeText(bytes: Buffer, truncated: boolean): boolean {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0e-\x1a\x1c-\x1f]/.test(bytes.subarray(0, 4096).toString('latin1'))) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: truncated });
    return true;
  } catch {
    return false;
  }
}

/** The href exactly as written: the anchor formatter has already stripped `mailto:` from the one it passes. */
type Rewrite = (path: string, metadata?: { baseUrl?: string }, elem?: { attribs?: Record<string, string> }) => string;

const resolveLink: Rewrite = (path, metadata, elem) => {
  const href = (elem?.attribs?.href ?? path).trim();
  let url: URL;
  try {
    url = metadata?.baseUrl ? new URL(href, metadata.baseUrl) : new URL(href);
  } catch {
    // Relative without a base: keep what the page says.
    return /^[a-z][a-z\d+.-]*:/i.test(href) ? '' : href;
  }
  // javascript:, data: and the like are noise (or worse) for an agent.
  return ['http:', 'https:', 'mailto:', 'tel:', 'ftp:'].includes(url.protocol) ? url.href : '';
};

const HEADINGS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } }));

/** Compiled once; the base URL travels as metadata (the compiled function takes it, though its typings omit it). */
const htmlToText = compile({
  wordwrap: false,
  // Deeply nested markup would otherwise overflow the stack (the walk is recursive).
  limits: { maxDepth: 256, maxInputLength: Number.MAX_SAFE_INTEGER },
  selectors: [
    { selector: 'a', options: { pathRewrite: resolveLink as (path: string, meta: unknown) => string, hideLinkHrefIfSameAsText: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false, maxColumnWidth: 120 } },
    ...HEADINGS,
  ],
}) as (html: string, metadata?: { baseUrl?: string }) => string;

export function htmlText(html: string, baseUrl?: string): string {
  try {
    return htmlToText(html, { baseUrl }).trim();
  } catch {
    // The converter gave up (pathological markup): tags out, text left.
    return html
      .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
  }
}

export function viewBody(bytes: Buffer, contentType: string | undefined, options: ViewOptions): BodyView {
  const { essence, charset } = parseContentType(contentType);
  let kind = kindOf(essence);
  if (kind === 'unknown') kind = bytes.length === 0 || looksLikeText(bytes, options.truncated) ? 'text' : 'binary';
  switch (kind) {
    case 'json': {
      const text = decodeText(bytes, charset, options.truncated);
      // A cut document may still parse (a number, by chance): never pass a prefix off as the value.
      if (options.truncated) return { kind: 'text', text };
      try {
        return { kind: 'json', json: JSON.parse(text), text };
      } catch {
        return { kind: 'text', text };
      }
    }
    case 'html': {
      const markup = decodeText(bytes, charset ?? htmlMetaCharset(bytes), options.truncated);
      if (options.html === 'raw') return { kind: 'html', text: markup, raw: markup };
      return { kind: 'html', text: htmlText(markup, options.baseUrl) };
    }
    case 'text':
      return { kind: 'text', text: decodeText(bytes, charset, options.truncated) };
    default: {
      // Nothing to attach (a HEAD, a 204): an empty text, not a zero-byte attachment.
      if (bytes.length === 0) return { kind: 'text', text: '' };
      const mimeType = essence || 'application/octet-stream';
      // A cut image or archive is unusable: describe it instead.
      if (options.truncated || bytes.length > options.maxInlineBinaryBytes) return { kind: 'binary', mimeType, bytes: bytes.length };
      return { kind: 'binary', base64: bytes.toString('base64'), mimeType, bytes: bytes.length };
    }
  }
}
