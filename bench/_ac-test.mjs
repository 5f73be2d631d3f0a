import autocannon from 'autocannon';
import { callBody, callBodyParts, callHeaders, ECHO_TEXT } from './lib.mjs';
const url = process.argv[2];
const base = { url, connections: 50, duration: 4, method: 'POST', headers: callHeaders('stateless') };
const { prefix, suffix } = callBodyParts('stateless');
let n = 0;
const verifyBody = (b) => b.includes(`"text":"${ECHO_TEXT}"`) && !b.includes('"error"');
const variants = {
  static: { body: callBody('stateless', 1) },
  setup: { requests: [{ setupRequest: (req) => { req.body = prefix + (++n) + suffix; return req; } }] },
  setupVerify: { verifyBody, requests: [{ setupRequest: (req) => { req.body = prefix + (++n) + suffix; return req; } }] },
  staticVerify: { body: callBody('stateless', 1), verifyBody },
};
for (const [k, v] of Object.entries(variants)) {
  const r = await autocannon({ ...base, ...v });
  console.log(k, r.requests.mean, r.requests.p50, r.latency.p50, r.latency.p99, r.non2xx, r.errors, r.mismatches, r.requests.total);
}
