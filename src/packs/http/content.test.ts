/** viewBody: JSON, text with charsets, HTML to readable text, binary inline or described. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseContentType, viewBody, type BodyView, type ViewOptions } from './content.js';

const options: ViewOptions = { html: 'text', truncated: false, maxInlineBinaryBytes: 1_024 };
const view = (body: string | Buffer, contentType: string | undefined, extra: Partial<ViewOptions> = {}): BodyView =>
  viewBody(typeof body === 'string' ? Buffer.from(body) : body, contentType, { ...options, ...extra });

test('content types are parsed: essence in lower case, charset quoted or not', () => {
  assert.deepEqual(parseContentType('Text/HTML; Charset="ISO-8859-1"'), { essence: 'text/html', charset: 'iso-8859-1' });
  assert.deepEqual(parseContentType('application/json;charset=utf-8;foo=bar'), { essence: 'application/json', charset: 'utf-8' });
  assert.deepEqual(parseContentType('text/plain; format=flowed'), { essence: 'text/plain', charset: undefined });
  assert.deepEqual(parseContentType(undefined), { essence: '', charset: undefined });
  assert.deepEqual(parseContentType('garbage'), { essence: '', charset: undefined });
});

test('JSON content types are parsed, including +json and a BOM', () => {
  assert.deepEqual(view('{"a":[1,2]}', 'application/json'), { kind: 'json', json: { a: [1, 2] }, text: '{"a":[1,2]}' });
  const problem = view('{"title":"Not found","status":404}', 'application/problem+json; charset=utf-8');
  assert.equal(problem.kind, 'json');
  assert.deepEqual(problem.kind === 'json' && problem.json, { title: 'Not found', status: 404 });
  const withBom = view(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[true]')]), 'application/json');
  assert.deepEqual(withBom.kind === 'json' && withBom.json, [true]);
});

test('JSON that does not parse, or was truncated, is text', () => {
  assert.deepEqual(view('{"a": oops', 'application/json'), { kind: 'text', text: '{"a": oops' });
  assert.deepEqual(view('', 'application/json'), { kind: 'text', text: '' });
  // "12345" cut to "123" would parse as a number: a cut body is never parsed.
  assert.deepEqual(view('123', 'application/json', { truncated: true }), { kind: 'text', text: '123' });
});

test('text is decoded with the declared charset, UTF-8 by default, unknown charsets as UTF-8', () => {
  assert.deepEqual(view(Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'text/plain; charset=iso-8859-1'), { kind: 'text', text: 'café' });
  assert.deepEqual(view(Buffer.from([0x80]), 'text/plain; charset=windows-1252'), { kind: 'text', text: '€' });
  // The Encoding standard reads iso-8859-1 as windows-1252: smart quotes and dashes from 0x80–0x9F.
  assert.deepEqual(view(Buffer.from([0x93, 0x68, 0x69, 0x94, 0x20, 0x96, 0x20, 0x99]), 'text/plain; charset=iso-8859-1'), { kind: 'text', text: '\u201chi\u201d \u2013 \u2122' });
  assert.deepEqual(view(Buffer.from([0x82, 0xa0]), 'text/plain; charset=shift_jis'), { kind: 'text', text: 'あ' });
  assert.deepEqual(view('naïve ✓', 'text/plain'), { kind: 'text', text: 'naïve ✓' });
  assert.deepEqual(view('naïve', 'text/plain; charset=klingon'), { kind: 'text', text: 'naïve' });
  assert.deepEqual(view(Buffer.from([0x61, 0xff, 0x62]), 'text/plain'), { kind: 'text', text: 'a\ufffdb' }, 'malformed bytes are replaced, never thrown');
});

test('a truncated body drops a character cut in half instead of showing garbage', () => {
  const euro = Buffer.from('ab€'); // € is 3 bytes
  assert.deepEqual(view(euro.subarray(0, 4), 'text/plain', { truncated: true }), { kind: 'text', text: 'ab' });
  assert.deepEqual(view(euro.subarray(0, 4), 'text/plain'), { kind: 'text', text: 'ab\ufffd' }, 'an untruncated malformed tail is shown replaced');
});

test('XML, JavaScript, CSV and other textual application types are text', () => {
  for (const type of ['application/xml', 'application/atom+xml', 'image/svg+xml', 'application/javascript', 'text/csv', 'application/x-yaml', 'text/markdown']) {
    assert.equal(view('<x>1</x>', type).kind, 'text', type);
  }
});

test('HTML becomes readable text: scripts and styles gone, headings as written, links kept and made absolute', () => {
  const html = `<!doctype html><html><head><title>Page</title><style>p { color: red }</style><script>alert("x")</script></head>
    <body><h1>Release Notes</h1><p>See <a href="/docs/v2?x=1">the docs</a>, <a href="https://other.example/">https://other.example/</a>,
    <a href="#top">top</a>, <a href="javascript:alert(1)">run</a> and <a href="mailto:team@example.com">mail us</a>.</p>
    <ul><li>first</li><li>second</li></ul><img src="data:image/png;base64,AAAA" alt="logo"></body></html>`;
  const result = view(html, 'text/html; charset=utf-8', { baseUrl: 'https://www.example.com/blog/post' });
  assert.equal(result.kind, 'html');
  const text = result.kind === 'html' ? result.text : '';
  assert.equal(result.kind === 'html' && result.raw, undefined, 'the markup is not carried along');
  assert.match(text, /Release Notes/);
  assert.match(text, /the docs \[https:\/\/www\.example\.com\/docs\/v2\?x=1\]/);
  assert.match(text, /https:\/\/other\.example\//);
  assert.doesNotMatch(text, /\[https:\/\/other\.example\/\]/, 'a link whose text is its target is shown once');
  assert.match(text, /mail us \[mailto:team@example\.com\]/);
  assert.match(text, /\* first\n \* second/);
  assert.doesNotMatch(text, /alert|color: red|javascript:|base64|#top/);
});

test('HTML without a base URL keeps relative links as written', () => {
  const result = view('<p><a href="/x">x page</a></p>', 'text/html');
  assert.equal(result.kind === 'html' && result.text, 'x page [/x]');
});

test('HTML tables keep their cells apart', () => {
  const result = view('<table><tr><th>Name</th><th>Value</th></tr><tr><td>alpha</td><td>1</td></tr></table>', 'text/html');
  const lines = result.kind === 'html' ? result.text.split('\n') : [];
  assert.deepEqual(
    lines.map((line) => line.split(/\s{2,}/).filter(Boolean)),
    [
      ['Name', 'Value'],
      ['alpha', '1'],
    ],
  );
});

test('HTML charset from <meta> when the header gives none; the header wins when it does', () => {
  const latin = Buffer.concat([Buffer.from('<html><head><meta charset="iso-8859-1"></head><body><p>caf'), Buffer.from([0xe9]), Buffer.from('</p></body></html>')]);
  assert.equal(view(latin, 'text/html').kind === 'html' && (view(latin, 'text/html') as { text: string }).text, 'café');
  const utf16 = view(Buffer.from('<meta charset="utf-16"><p>café</p>'), 'text/html');
  assert.equal(utf16.kind === 'html' && utf16.text, 'café', 'a <meta> claiming UTF-16 means UTF-8');
  const declared = view(Buffer.from('<meta charset="iso-8859-1"><p>café</p>'), 'text/html; charset=utf-8');
  assert.equal(declared.kind === 'html' && declared.text, 'café');
});

test('raw HTML is returned as received on request', () => {
  const markup = '<p>Hello <b>there</b></p>';
  assert.deepEqual(view(markup, 'application/xhtml+xml', { html: 'raw' }), { kind: 'html', text: markup, raw: markup });
});

test('pathologically deep HTML does not overflow the stack', () => {
  const deep = '<div>'.repeat(100_000) + 'bottom';
  const result = view(deep, 'text/html');
  assert.equal(result.kind, 'html');
});

test('small binary is base64; large or truncated binary is only described', () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00]);
  assert.deepEqual(view(png, 'image/png'), { kind: 'binary', base64: png.toString('base64'), mimeType: 'image/png', bytes: png.length });
  const big = Buffer.alloc(2_000);
  assert.deepEqual(view(big, 'application/pdf'), { kind: 'binary', mimeType: 'application/pdf', bytes: 2_000 });
  assert.deepEqual(view(png, 'image/png', { truncated: true }), { kind: 'binary', mimeType: 'image/png', bytes: png.length });
  assert.deepEqual(view(Buffer.alloc(0), 'image/png'), { kind: 'text', text: '' }, 'an empty body (HEAD, 204) is no attachment');
  assert.deepEqual(view(Buffer.alloc(1_024, 1), 'application/octet-stream').kind === 'binary' && 'base64' in view(Buffer.alloc(1_024, 1), 'application/octet-stream'), true, 'exactly the limit is inlined');
});

test('without a content type: UTF-8 text is text, anything else is application/octet-stream', () => {
  assert.deepEqual(view('plain words ✓\n', undefined), { kind: 'text', text: 'plain words ✓\n' });
  assert.deepEqual(view('', undefined), { kind: 'text', text: '' });
  assert.deepEqual(view(Buffer.from([0x00, 0x01, 0x02]), undefined), { kind: 'binary', base64: 'AAEC', mimeType: 'application/octet-stream', bytes: 3 });
  assert.deepEqual(view(Buffer.from([0xc3, 0x28]), ''), { kind: 'binary', base64: 'wyg=', mimeType: 'application/octet-stream', bytes: 2 }, 'invalid UTF-8');
  const cut = Buffer.from('ab€').subarray(0, 4);
  assert.deepEqual(view(cut, undefined, { truncated: true }), { kind: 'text', text: 'ab' }, 'a cut character does not make text binary');
});
