// SHACL validation timing for JS engines: shacl-engine | rdf-validate-shacl
// usage: node shacl_js.mjs shacl-engine|rdf-validate-shacl DATA.nt SHAPES.ttl
// Prints one JSON line: engine, version, load_s (N3.js parse into rdf-ext dataset), validate_s, total_s, conforms, results
import fs from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const N3 = require(process.env.SHACL_NODE_MODULES + '/n3');
const rdf = (await import(process.env.SHACL_NODE_MODULES + '/rdf-ext/index.js')).default;

const [engine, dataPath, shapesPath] = process.argv.slice(2);
function load(path) {
  return new Promise((resolve, reject) => {
    const ds = rdf.dataset();
    const parser = new N3.StreamParser({ format: path.endsWith('.nt') ? 'N-Triples' : 'Turtle' });
    fs.createReadStream(path).pipe(parser);
    parser.on('data', q => ds.add(rdf.quad(q.subject, q.predicate, q.object, q.graph)));
    parser.on('error', reject);
    parser.on('end', () => resolve(ds));
  });
}
const t0 = performance.now();
const data = await load(dataPath);
const shapes = await load(shapesPath);
const t1 = performance.now();
let report, version;
if (engine === 'shacl-engine') {
  const { Validator } = await import(process.env.SHACL_NODE_MODULES + '/shacl-engine/index.js');
  version = require(process.env.SHACL_NODE_MODULES + '/shacl-engine/package.json').version;
  const v = new Validator(shapes, { factory: rdf });
  report = await v.validate({ dataset: data });
} else {
  const SHACLValidator = (await import(process.env.SHACL_NODE_MODULES + '/rdf-validate-shacl/index.js')).default;
  version = require(process.env.SHACL_NODE_MODULES + '/rdf-validate-shacl/package.json').version;
  const v = new SHACLValidator(shapes);  // uses its own default env (needs clownface)
  report = await v.validate(data);
}
const t2 = performance.now();
console.log(JSON.stringify({ engine, version, data: dataPath, triples: data.size,
  load_s: +((t1 - t0) / 1000).toFixed(3), validate_s: +((t2 - t1) / 1000).toFixed(3),
  total_s: +((t2 - t0) / 1000).toFixed(3), conforms: report.conforms, results: report.results.length }));
