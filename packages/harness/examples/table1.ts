// Two attacks and a certified bound on the shipped MLP, then Table 1 (run from any folder).
import { evaluate, report } from "@rho/harness";

const run = await evaluate({
  model: "mlp", // a shipped model; or a model folder, or an .onnx file
  dataset: "mnist",
  attacks: ["alp-walk", { name: "pgd", options: { steps: 50 } }],
  bounds: ["crown"], // certified lower bounds beside the attacks' upper bounds
  points: 8,
  eps: 20,
  out: "runs/mlp", // results.jsonl grows as each point finishes
  resume: true, // a second call continues (or reuses) the run
  workers: 2,
});
for (const s of run.summary)
  console.log(
    `${s.attack}: φ̂(20) = ${(100 * s.frequency.value).toFixed(1)}%, μ̂ = ${s.severity.value.toFixed(2)} px`,
  );
console.log(`certified robust at ε = 20: ${(100 * (run.bracket?.certified.value ?? 0)).toFixed(1)}%`);

const table = await report({ runs: [run.dir], names: ["mlp"], out: "runs/report" });
console.log(table.markdown); // Table 1; the folder also holds Figures 2 and 3 and index.html
