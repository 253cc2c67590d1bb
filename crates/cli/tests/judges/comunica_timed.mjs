// Times one SPARQL SELECT query with Comunica over a Triple Pattern Fragments interface, in one
// Node process, so that the figures leave out Node's and Comunica's start-up.
// Usage: node comunica_timed.mjs TPF_URL QUERY_FILE RUNS [tpf|brtpf]
// Each run uses a fresh engine (no HTTP responses kept from the run before). Prints one JSON
// object: the milliseconds, requests and rows of every run.
import { readFileSync } from 'node:fs';
import { QueryEngine } from '@comunica/query-sparql';

const [url, queryFile, runsText, sourceType] = process.argv.slice(2);
const runs = Number(runsText);
if (!url || !queryFile || !Number.isInteger(runs) || runs < 1) {
  console.error('usage: node comunica_timed.mjs TPF_URL QUERY_FILE RUNS [tpf|brtpf]');
  process.exit(2);
}
const query = readFileSync(queryFile, 'utf8');
const result = { milliseconds: [], requests: [], rows: [] };
for (let run = 0; run < runs; run += 1) {
  let requests = 0;
  const counting = (input, init) => {
    requests += 1;
    return fetch(input, init);
  };
  const engine = new QueryEngine();
  const start = process.hrtime.bigint();
  const stream = await engine.queryBindings(query, {
    sources: [sourceType === 'brtpf' ? { type: 'brtpf', value: url } : url],
    lenient: false,
    fetch: counting,
  });
  let rows = 0;
  for await (const _ of stream) rows += 1;
  result.milliseconds.push(Number(process.hrtime.bigint() - start) / 1e6);
  result.requests.push(requests);
  result.rows.push(rows);
}
process.stdout.write(`${JSON.stringify(result)}\n`);
