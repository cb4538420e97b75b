// tokens_llamacpp.mjs NPM_ROOT OUT GGUF TEXT [GGUF TEXT ...] — llama.cpp's
// tokenizer (node-llama-cpp, the vocabulary only) on each file TEXT with the
// vocabulary GGUF before it, without BOS/EOS and without reading control
// tokens: per pair, a line of space-separated ids into OUT, then a line with
// llama.cpp's detokenization of those ids (control tokens not written), its
// UTF-8 in hex. One process for all pairs: starting node-llama-cpp is the
// slow part.
import fs from "node:fs";

const [npmRoot, outPath, ...pairs] = process.argv.slice(2);
const { getLlama } = await import(`${npmRoot}/node-llama-cpp/dist/index.js`);
const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
const lines = [];
let model = null, loaded = null; // a vocabulary named again in a row is loaded once
for (let i = 0; i + 1 < pairs.length; i += 2) {
  if (pairs[i] !== loaded) {
    if (model) await model.dispose();
    model = await llama.loadModel({ modelPath: pairs[i], vocabOnly: true });
    loaded = pairs[i];
  }
  const text = fs.readFileSync(pairs[i + 1], "utf8");
  const ids = Array.from(model.tokenize(text, false));
  lines.push(ids.join(" "));
  lines.push(Buffer.from(model.detokenize(ids, false), "utf8").toString("hex"));
}
if (model) await model.dispose();
fs.writeFileSync(outPath, lines.join("\n") + "\n");
