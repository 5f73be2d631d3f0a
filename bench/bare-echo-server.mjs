// Ceiling reference: bare node:http answering hand-written JSON-RPC for the echo tool.
// No MCP library, no validation beyond what is needed to answer correctly:
//  - 2026-07-28: POST tools/call with a _meta envelope -> echo result
//  - 2025-11-25: initialize -> new session id, notifications/initialized -> 202, tools/call with Mcp-Session-Id -> echo result
// Run: PORT=3000 node bench/bare-echo-server.mjs
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const sessions = new Set();
const JSON_HEADERS = { 'content-type': 'application/json' };

function send(res, status, obj, extra) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

function handle(req, res, text) {
  let msg;
  try { msg = JSON.parse(text); } catch {
    return send(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
  }
  const sid = req.headers['mcp-session-id'];
  switch (msg.method) {
    case 'initialize': {
      const id = randomUUID();
      sessions.add(id);
      return send(res, 200, {
        jsonrpc: '2.0', id: msg.id,
        result: { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'bare-echo', version: '1.0.0' } },
      }, { 'mcp-session-id': id });
    }
    case 'notifications/initialized':
      res.writeHead(202).end();
      return;
    case 'tools/call': {
      const p = msg.params;
      if (sid !== undefined && !sessions.has(sid)) {
        return send(res, 404, { jsonrpc: '2.0', id: msg.id, error: { code: -32001, message: 'Session not found' } });
      }
      if (sid === undefined && p?._meta?.['io.modelcontextprotocol/protocolVersion'] !== '2026-07-28') {
        return send(res, 400, { jsonrpc: '2.0', id: msg.id, error: { code: -32600, message: 'Bad Request' } });
      }
      if (p?.name !== 'echo' || typeof p.arguments?.text !== 'string') {
        return send(res, 200, { jsonrpc: '2.0', id: msg.id, error: { code: -32602, message: 'Invalid params' } });
      }
      const result = { content: [{ type: 'text', text: p.arguments.text }] };
      if (sid === undefined) result.resultType = 'complete';
      return send(res, 200, { jsonrpc: '2.0', id: msg.id, result });
    }
    default:
      return send(res, 200, { jsonrpc: '2.0', id: msg.id ?? null, error: { code: -32601, message: 'Method not found' } });
  }
}

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/mcp') return void res.writeHead(404).end();
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
});
server.keepAliveTimeout = 65_000;
const port = Number(process.env.PORT ?? 3000);
server.listen(port, '127.0.0.1', () => process.stderr.write(`bare echo on http://127.0.0.1:${port}/mcp\n`));
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
