// logits_llamacpp.mjs NPM_ROOT CACHE_DIR NAME... — llama.cpp (node-llama-cpp,
// CPU, standard attention, its default f16 KV cache) runs each model's f32
// conversion on the logits oracle's input ids; prints one JSON object
// {NAME: [[logit per vocabulary entry] per position]}.
import fs from "node:fs";

const [npmRoot, root, ...names] = process.argv.slice(2);
const { getLlama } = await import(`${npmRoot}/node-llama-cpp/dist/index.js`);
const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
const out = {};
for (const name of names) {
  const meta = JSON.parse(fs.readFileSync(`${root}/oracle/${name}/logits.json`, "utf8"));
  const model = await llama.loadModel({ modelPath: `${root}/gguf/${name}-f32.gguf`, gpuLayers: 0 });
  // room beyond the input: with the context exactly full, node-llama-cpp's
  // last row was not the plain next-token logits
  const size = meta.input_ids.length + 64;
  const context = await model.createContext({ contextSize: size, batchSize: size, sequences: 1, threads: 1,
                                              flashAttention: false });
  const result = await context.getSequence().controlledEvaluate(
    meta.input_ids.map((id) => [id, { generateNext: { logits: true } }]));
  out[name] = result.map((r) => {
    const row = new Array(meta.shape[1]).fill(0);
    for (const [id, v] of r.next.logits) row[id] = v;
    return row;
  });
  await context.dispose();
  await model.dispose();
}
console.log(JSON.stringify(out));
