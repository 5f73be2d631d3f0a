import autocannon from 'autocannon';
import { callBody, callHeaders, ECHO_TEXT } from '/work/main/bench/lib.mjs';
const url = process.argv[2];
const base = { url, connections: 50, duration: 4, method: 'POST', headers: callHeaders('stateless') };
const variants = {
  static: { body: callBody('stateless', 1) },
  idrep: { body: callBody('stateless', '"[<id>]"'), idReplacement: true },
  idrepVerify: { body: callBody('stateless', '"[<id>]"'), idReplacement: true, verifyBody: (b) => b.includes(`"text":"${ECHO_TEXT}"`) && !b.includes('"error"') },
};
for (const [k, v] of Object.entries(variants)) {
  const r = await autocannon({ ...base, ...v });
  console.log(k, r.requests.mean, r.requests.p50, r.latency.p50, r.latency.p99, r.non2xx, r.errors, r.mismatches);
}
