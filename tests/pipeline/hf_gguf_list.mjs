// hf_gguf_list.mjs FILE NPM_ROOT — lists a GGUF file as Hugging Face's
// @huggingface/gguf parser reads it, one tensor a line:
// "name ggml_type dim0 dim1 ..." (dims innermost first, as the file stores
// them), then "file_type N". Exit 1 when the parser fails.
import path from "node:path";
import { pathToFileURL } from "node:url";

const [file, npmRoot] = process.argv.slice(2);
const hf = await import(pathToFileURL(path.join(npmRoot, "@huggingface/gguf/dist/index.mjs")));
try {
  const p = await hf.gguf(file, { allowLocalFile: true, typedMetadata: true });
  for (const t of p.tensorInfos)
    console.log([t.name, t.dtype, ...t.shape.map(String)].join(" "));
  console.log(`file_type ${p.metadata["general.file_type"]}`);
} catch (e) {
  console.error(`@huggingface/gguf could not parse ${file}: ${e.message}`);
  process.exit(1);
}
