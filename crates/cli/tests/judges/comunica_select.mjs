// Runs a SPARQL SELECT query with Comunica over a Triple Pattern Fragments interface and prints
// the solutions as JSON: one object per solution, each bound variable as an N-Triples term.
// Usage: node comunica_select.mjs TPF_URL QUERY_FILE [brtpf]
// With `brtpf`, the interface is read as bindings-restricted (the `values` parameter): the
// joins send blocks of bindings instead of one request per binding.
import { readFileSync } from 'node:fs';
import { QueryEngine } from '@comunica/query-sparql';

const [url, queryFile, sourceType] = process.argv.slice(2);
if (!url || !queryFile) {
  console.error('usage: node comunica_select.mjs TPF_URL QUERY_FILE [brtpf]');
  process.exit(2);
}

function term(t) {
  if (t.termType === 'NamedNode') return `<${t.value}>`;
  if (t.termType === 'Literal') {
    const text = JSON.stringify(t.value);
    if (t.language) return `${text}@${t.language}`;
    if (t.datatype && t.datatype.value !== 'http://www.w3.org/2001/XMLSchema#string') {
      return `${text}^^<${t.datatype.value}>`;
    }
    return text;
  }
  return `_:${t.value}`;
}

const engine = new QueryEngine();
const stream = await engine.queryBindings(readFileSync(queryFile, 'utf8'), {
  sources: [sourceType === 'brtpf' ? { type: 'brtpf', value: url } : url],
  lenient: false,
});
const rows = [];
for await (const bindings of stream) {
  const row = {};
  for (const [variable, value] of bindings) row[variable.value] = term(value);
  rows.push(row);
}
process.stdout.write(JSON.stringify(rows));
