// Replicates a Linked Data Event Stream with the npm `ldes-client` and prints one JSON object:
// the member IRIs it emitted and, for each member that came without its value, unit or
// phenomenon time, what was missing.
// Usage: node ldes_replicate.mjs STREAM_URL [STATE_DIR]
import { replicateLDES, intoConfig } from 'ldes-client';

const [url, statePath] = process.argv.slice(2);
if (!url) {
  console.error('usage: node ldes_replicate.mjs STREAM_URL [STATE_DIR]');
  process.exit(2);
}

const SOSA = 'http://www.w3.org/ns/sosa/';
const QUDT = 'http://qudt.org/schema/qudt/';
const TIME = 'http://www.w3.org/2006/time#';

const client = replicateLDES(intoConfig({ url, statePath, polling: false }));
const reader = client.stream({ highWaterMark: 100 }).getReader();
const members = [];
const incomplete = [];
for (;;) {
  const { value: member, done } = await reader.read();
  if (done) break;
  const id = member.id.value;
  members.push(id);
  const objects = (subject, predicate) =>
    member.quads
      .filter((q) => q.subject.value === subject && q.predicate.value === predicate)
      .map((q) => q.object.value);
  const missing = [];
  const result = objects(id, SOSA + 'hasResult')[0];
  if (!result || objects(result, QUDT + 'numericValue').length !== 1) missing.push('value');
  if (!result || objects(result, QUDT + 'hasUnit').length !== 1) missing.push('unit');
  const time = objects(id, SOSA + 'phenomenonTime')[0];
  const stamped = (t) => objects(t, TIME + 'inXSDDateTimeStamp').length === 1;
  const begin = time && objects(time, TIME + 'hasBeginning')[0];
  const end = time && objects(time, TIME + 'hasEnd')[0];
  if (!time || !(stamped(time) || (begin && end && stamped(begin) && stamped(end)))) {
    missing.push('phenomenon time');
  }
  if (objects(id, 'http://purl.org/dc/terms/issued').length !== 1) missing.push('timestamp');
  if (member.quads.some((q) => q.subject.termType === 'BlankNode' || q.object.termType === 'BlankNode')) {
    missing.push('no blank nodes');
  }
  if (missing.length) incomplete.push({ id, missing });
}
process.stdout.write(JSON.stringify({ members, incomplete }));
