// gguf_interop.mjs — libquant's GGUF against an independent implementation,
// Hugging Face's @huggingface/gguf parser (npm), in both directions, and
// against real GGUF files written by llama.cpp (the vocabularies in the
// llama.cpp source bundle of the node-llama-cpp package).
//
//   node gguf_interop.mjs GGUF_TOOL WORKDIR NPM_ROOT
//
// Output is TAP.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [tool, workdir, npmRoot] = process.argv.slice(2);
const hf = await import(pathToFileURL(path.join(npmRoot, "@huggingface/gguf/dist/index.mjs")));
const { gguf, serializeGgufMetadata, GGUFValueType: T } = hf;

let n = 0, failed = 0;
const results = [];
function check(cond, what) {
  n++;
  if (!cond) failed++;
  results.push(`${cond ? "ok" : "not ok"} ${n} - ${what}`);
}
// A comparison that cannot run: a TAP skip, or a failure when the oracle was
// meant to be there (LQ_REQUIRE_ORACLE, see tests/oracle.h).
const oracleRequired = !["", "0", undefined].includes(process.env.LQ_REQUIRE_ORACLE);
function skip(what, why) {
  if (oracleRequired) return check(false, `${what}: the oracle is required (LQ_REQUIRE_ORACLE) but ${why}`);
  n++;
  results.push(`ok ${n} - ${what} # SKIP ${why}`);
}

function runTool(...args) {
  return execFileSync(tool, args, { encoding: "utf8", maxBuffer: 1 << 28 });
}

// gguf_tool dump, read back into {kv: Map(key -> {type, value}), tensors: [...]}
// decoded as @huggingface/gguf decodes (TextDecoder drops a leading U+FEFF)
const decoder = new TextDecoder();
function dump(file) {
  const out = { kv: new Map(), tensors: [] };
  const hexString = (s) => {
    const [len, hex] = s.split(":");
    const b = Buffer.from(hex, "hex");
    if (b.length !== Number(len)) throw new Error("bad string in dump");
    return decoder.decode(b);
  };
  for (const line of runTool("dump", file).split("\n")) {
    const f = line.split(" ");
    if (f[0] === "kv_count" || f[0] === "tensor_count" || f[0] === "data_offset") out[f[0]] = BigInt(f[1]);
    else if (f[0] === "kv") {
      const type = Number(f[2]);
      let value;
      if (type === T.STRING) value = hexString(f[3]);
      else if (type === T.ARRAY) {
        const et = Number(f[3]);
        value = { subType: et, count: Number(f[4]), items: f.slice(5).map((x) => (et === T.STRING ? hexString(x) : x)) };
      } else value = f[3];
      out.kv.set(f[1], { type, value });
    } else if (f[0] === "tensor") {
      const ndim = Number(f[3]);
      out.tensors.push({
        name: f[1], dtype: Number(f[2]), ndim,
        dims: f.slice(4, 4 + ndim).map(BigInt),
        bytes: BigInt(f[5 + ndim]), offset: BigInt(f[7 + ndim]),
      });
    }
  }
  return out;
}

// ---- 1. a file written by libquant, parsed by @huggingface/gguf ----
const ours = path.join(workdir, "libquant.gguf");
runTool("write", ours);
const p = await gguf(ours, { allowLocalFile: true, typedMetadata: true });
const m = p.metadata, tm = p.typedMetadata;
check(m.version === 3 && m.tensor_count === 5n && m.kv_count === 19n, "header: version 3, 5 tensors, 19 kvs");
check(p.littleEndian === true, "little-endian");
const want = [
  ["general.architecture", T.STRING, "llama"],
  ["general.name", T.STRING, 'interop "test"'],
  ["general.alignment", T.UINT32, 64],
  ["general.quantization_version", T.UINT32, 2],
  ["llama.block_count", T.UINT32, 2],
  ["t.u8", T.UINT8, 200], ["t.i8", T.INT8, -100], ["t.u16", T.UINT16, 60000],
  ["t.i16", T.INT16, -30000], ["t.i32", T.INT32, -123456], ["t.u64", T.UINT64, 1n << 40n],
  ["t.i64", T.INT64, -(1n << 40n)], ["t.f32", T.FLOAT32, 0.5], ["t.f64", T.FLOAT64, 0.125],
  ["t.bool", T.BOOL, true],
];
for (const [key, type, value] of want)
  check(tm[key] && tm[key].type === type && tm[key].value === value, `kv ${key} = ${value} (type ${type})`);
const arr = (key, sub, values) =>
  check(tm[key] && tm[key].type === T.ARRAY && tm[key].subType === sub &&
        JSON.stringify(tm[key].value) === JSON.stringify(values), `array ${key}`);
arr("tokenizer.ggml.tokens", T.STRING, ["<s>", "\u2581hello", ""]);
arr("tokenizer.ggml.scores", T.FLOAT32, [0, -1.5, 2.25]);
arr("tokenizer.ggml.token_type", T.INT32, [3, 1, 1]);
arr("t.bools", T.BOOL, [true, false]);
check(JSON.stringify(Object.keys(m).filter((k) => !["version", "tensor_count", "kv_count"].includes(k))) ===
      JSON.stringify([...want.map((w) => w[0]).slice(0, 15), "tokenizer.ggml.tokens", "tokenizer.ggml.scores",
                      "tokenizer.ggml.token_type", "t.bools"]), "kv order kept");
// tensor infos: GGUF order dims (row length first), ggml type ids, offsets at multiples of 64
const wantT = [
  ["token_embd.weight", 0, [64n, 3n], 768n],
  ["blk.0.attn_q.weight", 2, [64n, 2n], 72n],
  ["blk.0.ffn_up.weight", 12, [256n, 1n], 144n],
  ["blk.1.ffn_down.weight", 16, [256n, 1n], 66n],
  ["ids", 26, [5n], 20n],
];
let off = 0n;
wantT.forEach(([name, dtype, shape, bytes], i) => {
  const t = p.tensorInfos[i];
  check(t && t.name === name && t.dtype === dtype && t.n_dims === shape.length &&
        JSON.stringify(t.shape.map(String)) === JSON.stringify(shape.map(String)) && t.offset === off,
        `tensor ${name}: type ${dtype}, ne [${shape}], offset ${off}`);
  off += (bytes + 63n) / 64n * 64n;
});
const d = dump(ours);
check(p.tensorDataOffset === d.data_offset && d.data_offset % 64n === 0n,
      `data section at ${d.data_offset} for both readers`);
check(BigInt(fs.statSync(ours).size) === d.data_offset + off, "file ends after the padded last tensor");

// ---- 2. metadata serialized by @huggingface/gguf, read by libquant ----
const typed = {
  version: { value: 3, type: T.UINT32 },
  tensor_count: { value: 0n, type: T.UINT64 },
  kv_count: { value: 0n, type: T.UINT64 },
  "general.architecture": { value: "gpt2", type: T.STRING },
  "a.u8": { value: 7, type: T.UINT8 },
  "a.i16": { value: -5, type: T.INT16 },
  "a.u32": { value: 4000000000, type: T.UINT32 },
  "a.i64": { value: -9007199254740993n, type: T.INT64 },
  "a.f32": { value: 1.25, type: T.FLOAT32 },
  "a.f64": { value: -2.5e-300, type: T.FLOAT64 },
  "a.bool": { value: false, type: T.BOOL },
  "a.str": { value: "gr\u00fc\u00dfe \u{1F600}", type: T.STRING },
  "a.strs": { value: ["x", "", "\u00e9t\u00e9"], type: T.ARRAY, subType: T.STRING },
  "a.u16s": { value: [1, 65535], type: T.ARRAY, subType: T.UINT16 },
};
const theirs = path.join(workdir, "hf.gguf");
fs.writeFileSync(theirs, serializeGgufMetadata(typed));
let back;
try { back = dump(theirs); } catch (e) { back = null; }
check(back && back.kv_count === 11n && back.tensor_count === 0n, "libquant reads a header written by @huggingface/gguf");
if (back) {
  const kv = (k) => back.kv.get(k) || {};
  check(kv("general.architecture").value === "gpt2" && kv("general.architecture").type === T.STRING, "string");
  check(kv("a.u8").value === "7" && kv("a.i16").value === "-5" && kv("a.u32").value === "4000000000", "small integers");
  check(kv("a.i64").value === "-9007199254740993", "i64 beyond 2^53");
  check(Number(kv("a.f32").value) === 1.25 && Number(kv("a.f64").value) === -2.5e-300, "floats");
  check(kv("a.bool").value === "false" && kv("a.bool").type === T.BOOL, "bool");
  check(kv("a.str").value === "gr\u00fc\u00dfe \u{1F600}", "UTF-8 string");
  check(JSON.stringify(kv("a.strs").value.items) === JSON.stringify(["x", "", "\u00e9t\u00e9"]), "string array");
  check(JSON.stringify(kv("a.u16s").value.items) === '["1","65535"]' && kv("a.u16s").value.subType === T.UINT16, "u16 array");
  check(JSON.stringify([...back.kv.keys()]) === JSON.stringify(Object.keys(typed).slice(3)), "kv order");
}

// ---- 3. real files written by llama.cpp: read, compare, rewrite byte for byte ----
const bundle = path.join(npmRoot, "node-llama-cpp/llama/gitRelease.bundle");
let haveGit = true;
try { execFileSync("git", ["--version"], { stdio: "ignore" }); } catch { haveGit = false; }
const vocabs = ["ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf", "ggml-vocab-bert-bge.gguf"];
if (!haveGit || !fs.existsSync(bundle)) {
  for (const v of vocabs) skip(`llama.cpp ${v}`, haveGit ? "no node-llama-cpp source bundle" : "git not found");
} else {
  const repo = path.join(workdir, "llama.git");
  execFileSync("git", ["clone", "--bare", "--quiet", bundle, repo], { stdio: "ignore" });
  for (const v of vocabs) {
    const file = path.join(workdir, v);
    try {
      fs.writeFileSync(file, execFileSync("git", ["--git-dir", repo, "show", `HEAD:models/${v}`], { maxBuffer: 1 << 28 }));
    } catch {
      skip(`llama.cpp ${v}`, "not in the bundle");
      continue;
    }
    const ref = await gguf(file, { allowLocalFile: true, typedMetadata: true });
    let mine;
    try { mine = dump(file); } catch (e) { mine = null; }
    const keys = Object.keys(ref.metadata).filter((k) => !["version", "tensor_count", "kv_count"].includes(k));
    const tokens = ref.metadata["tokenizer.ggml.tokens"] || [];
    const ours = mine && mine.kv.get("tokenizer.ggml.tokens");
    check(mine && mine.kv_count === ref.metadata.kv_count && mine.tensor_count === ref.metadata.tensor_count &&
          JSON.stringify([...mine.kv.keys()]) === JSON.stringify(keys) &&
          ours && ours.value.count === tokens.length &&
          ours.value.items.every((t, i) => t === tokens[i]),
          `llama.cpp ${v}: ${keys.length} kvs and ${tokens.length} tokens read alike`);
    const copy = file + ".copy";
    runTool("rewrite", file, copy);
    check(Buffer.compare(fs.readFileSync(file), fs.readFileSync(copy)) === 0,
          `llama.cpp ${v}: opened and saved unchanged, byte for byte`);
  }
}

console.log(`1..${n}`);
for (const r of results) console.log(r);
process.exit(failed ? 1 : 0);
