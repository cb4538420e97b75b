// tokens_llamacpp.mjs NPM_ROOT CACHE_DIR JOBS_JSON — llama.cpp's tokenizer
// (node-llama-cpp, vocabulary only) on the fixture texts; prints one JSON
// object per job: the ids for the text, NFC-normalised first when asked.
import fs from "node:fs";

const [npmRoot, root, jobsJson] = process.argv.slice(2);
const { getLlama } = await import(`${npmRoot}/node-llama-cpp/dist/index.js`);
const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
const out = [];
for (const job of JSON.parse(jobsJson)) {
  const model = await llama.loadModel({ modelPath: `${root}/${job.gguf}`, vocabOnly: true });
  let text = fs.readFileSync(`${root}/${job.text}`, "utf8");
  if (job.nfc) text = text.normalize("NFC");
  out.push({ ...job, ids: Array.from(model.tokenize(text, false)) });
  await model.dispose();
}
console.log(JSON.stringify(out));
