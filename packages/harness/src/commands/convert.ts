import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  foldedOnImport,
  type InputLayout,
  meanStd,
  modelFiles,
  type Network,
  type Preprocess,
  rawPixels,
  saveModel,
  unitPixels,
} from "@rho/models";
import { EXIT_OK, UsageError } from "../errors.js";
import { loadNetwork } from "../inputs.js";
import type { Output } from "../output.js";

export interface ConvertOptions {
  model: string;
  out: string;
  preprocess?: string;
  /** ONNX: the graph output holding the logits, when the graph has several. */
  output?: string;
  /** ONNX: nchw or nhwc, for a 4-D input the graph flattens before any convolution. */
  inputLayout?: string;
  json: boolean;
}

/**
 * --preprocess: "unit" (pixel/255), "raw" (pixel), "mean=a,b,c:std=d,e,f" (on pixel/255, as
 * torchvision's Normalize), or a JSON {"scale": [...], "shift": [...]}.
 */
export function parsePreprocess(spec: string, channels: number): Preprocess {
  if (spec === "unit") return unitPixels(channels);
  if (spec === "raw") return rawPixels(channels);
  const ms = /^mean=([^:]+):std=(.+)$/.exec(spec);
  const nums = (s: string) => s.split(",").map((v) => (v.trim() === "" ? Number.NaN : Number(v)));
  let pre: Preprocess | undefined;
  if (ms) {
    const [mean, std] = [nums(ms[1] as string), nums(ms[2] as string)];
    if (
      mean.length === channels &&
      std.length === channels &&
      [...mean, ...std].every(Number.isFinite) &&
      std.every((s) => s > 0)
    )
      pre = meanStd(mean, std);
  } else if (spec.startsWith("{")) {
    try {
      const j = JSON.parse(spec) as { scale?: unknown; shift?: unknown };
      const ok = (v: unknown): v is number[] =>
        Array.isArray(v) &&
        v.length === channels &&
        v.every((x) => typeof x === "number" && Number.isFinite(x));
      if (ok(j.scale) && ok(j.shift)) pre = { scale: j.scale, shift: j.shift };
    } catch {
      pre = undefined;
    }
  }
  if (!pre)
    throw new UsageError(
      `--preprocess "${spec}": expected unit, raw, mean=…:std=… or {"scale": […], "shift": […]} with ${channels} value(s) per channel`,
    );
  return pre;
}

/** `rho convert`: any model rho loads (an ONNX file above all) written in rho's own format, with a model card. */
export async function convertCommand(o: ConvertOptions, out: Output): Promise<number> {
  if (existsSync(join(o.out, "model.json")))
    throw new UsageError(`${o.out} already holds a model (model.json); choose another --out`);
  if (o.inputLayout !== undefined && o.inputLayout !== "nchw" && o.inputLayout !== "nhwc")
    throw new UsageError(`--input-layout must be nchw or nhwc, got "${o.inputLayout}"`);
  const load = {
    ...(o.output === undefined ? {} : { output: o.output }),
    ...(o.inputLayout === undefined ? {} : { inputLayout: o.inputLayout as InputLayout }),
  };
  let net: Network = await loadNetwork(o.model, undefined, load);
  if (o.preprocess) {
    // the mapping comes before any arithmetic in the model itself (a Normalize inside an ONNX graph)
    const channels = net.inputShape.length === 3 ? (net.inputShape[2] as number) : 1;
    net = await loadNetwork(o.model, parsePreprocess(o.preprocess, channels), load);
  }
  await saveModel(net, o.out);
  const sources = (await modelFiles(o.model)).map((f) => ({
    name: f.name,
    sha256: createHash("sha256").update(readFileSync(f.path)).digest("hex"),
  }));
  const card = [
    `# ${net.name} (converted by rho)`,
    "",
    `Converted from \`${o.model}\` by \`rho convert\`${o.output === undefined ? "" : ` (the logits: graph output \`${o.output}\`)`}${o.inputLayout === undefined ? "" : ` (input layout ${o.inputLayout.toUpperCase()}, as --input-layout said)`}. Source files and their sha256:`,
    "",
    ...sources.map((s) => `- \`${s.name}\`: \`${s.sha256}\``),
    "",
    `Input ${net.inputShape.join("×")}; pixels (0–255) map to the input by x = pixel · scale + shift per channel, scale [${net.preprocess.scale.map((v) => v.toPrecision(6)).join(", ")}], shift [${net.preprocess.shift.map((v) => v.toPrecision(6)).join(", ")}] (in rho.json).`,
    "",
    ...(foldedOnImport(net).length ? [`Folded on import: ${foldedOnImport(net).join(", ")}.`, ""] : []),
    net.chain
      ? "Layers (channels last), each reading the one before:"
      : "Layers (channels last); a graph: each reads the values listed (0: the input, k: layer k's output), the one before where none are:",
    "",
    ...net.layers.map((l, i) => {
      const from = net.inputs[i] as readonly number[];
      const reads = from.length === 1 && from[0] === i ? "" : ` ← ${from.join(", ")}`;
      return `${i + 1}. ${l.kind}${l.name ? ` (${l.name})` : ""}${reads} → ${net.shapes[i + 1]?.join("×")}`;
    }),
    "",
  ].join("\n");
  writeFileSync(join(o.out, "MODEL_CARD.md"), card);
  if (o.json) out.json({ model: o.model, out: o.out, layers: net.layers.length, sources });
  else
    out.line(
      `converted ${o.model} (${net.layers.length} layers) to ${o.out}: model.json, weights.bin, rho.json, MODEL_CARD.md`,
    );
  return EXIT_OK;
}
