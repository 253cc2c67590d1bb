// Replicates a Linked Data Event Stream with the npm `ldes-client` and prints how many members
// it emitted (for the benchmark: no per-member checks, nothing kept).
// Usage: node ldes_count.mjs STREAM_URL
import { replicateLDES, intoConfig } from 'ldes-client';

const [url] = process.argv.slice(2);
if (!url) {
  console.error('usage: node ldes_count.mjs STREAM_URL');
  process.exit(2);
}
const client = replicateLDES(intoConfig({ url, polling: false }));
const reader = client.stream({ highWaterMark: 1000 }).getReader();
let members = 0;
for (;;) {
  const { done } = await reader.read();
  if (done) break;
  members += 1;
}
process.stdout.write(`${members}\n`);
