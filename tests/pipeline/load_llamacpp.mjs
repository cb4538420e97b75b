// load_llamacpp.mjs NPM_ROOT FILE — mainline llama.cpp (node-llama-cpp, CPU)
// loads FILE and evaluates a few tokens; prints "ok" when every logit of the
// last one is finite (exit 1 otherwise).
const [npmRoot, path] = process.argv.slice(2);
const { getLlama } = await import(`${npmRoot}/node-llama-cpp/dist/index.js`);
const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
const context = await model.createContext({ contextSize: 64, batchSize: 64, sequences: 1, threads: 1 });
const ids = [1, 5, 9, 30, 60, 100, 200, 300];
const result = await context.getSequence().controlledEvaluate(
  ids.map((id, i) => (i + 1 === ids.length ? [id, { generateNext: { logits: true } }] : id)));
const logits = [...result[ids.length - 1].next.logits.values()];
const finite = logits.length > 0 && logits.every((v) => Number.isFinite(v));
console.log(finite ? "ok" : "non-finite logits");
await context.dispose();
await model.dispose();
process.exit(finite ? 0 : 1);
