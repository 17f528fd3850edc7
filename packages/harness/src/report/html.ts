// The report's index.html: provenance, Table 1, Figure 3 and Figure 2 on one page.
import escapeHtml from "escape-html";
import type { ExampleImage } from "./figure2.js";
import type { ReportRun } from "./runs.js";

function htmlTable(cells: { head: string[]; body: string[][] }): string {
  const row = (tag: string, c: string[]) =>
    `<tr>${c.map((x) => `<${tag}>${escapeHtml(x)}</${tag}>`).join("")}</tr>`;
  return [
    "<table>",
    `<thead>${row("th", cells.head)}</thead>`,
    `<tbody>${cells.body.map((r) => row("td", r)).join("\n")}</tbody>`,
    "</table>",
  ].join("\n");
}

export function reportHtml(o: {
  runs: readonly ReportRun[];
  eps: number;
  table: { head: string[]; body: string[][] };
  examples: readonly ExampleImage[];
  notes: readonly string[];
}): string {
  const provenance = o.runs
    .map(
      (r) =>
        `<li><b>${escapeHtml(r.name)}</b>: ${escapeHtml(r.spec.model.path)} (sha256 ${r.spec.model.sha256.slice(0, 12)}…), ` +
        `${escapeHtml(r.spec.dataset.name)} ${escapeHtml(r.spec.dataset.split)}, ${r.spec.points.length} points` +
        `${r.spec.sample === null ? "" : ` (sample seed ${r.spec.sample})`}, attacks ` +
        `${r.spec.attacks.map((a) => escapeHtml(a.name)).join(", ")}, rho ${escapeHtml(r.spec.rho)}; results in ${escapeHtml(r.dir)}</li>`,
    )
    .join("\n");
  const figures = o.examples
    .map(
      (e) =>
        `<figure><img src="figure2/${escapeHtml(e.file)}" alt="point ${e.index}"><figcaption>${escapeHtml(e.model)}, ` +
        `${escapeHtml(e.attack)}: point ${e.index}, label ${e.label} → ${e.adversarialLabel}, ρ̂ = ${e.rho.toFixed(2)} px</figcaption></figure>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>rho robustness report</title>
<style>
body { font-family: "DejaVu Sans", sans-serif; margin: 2em; max-width: 70em; }
table { border-collapse: collapse; } th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { display: inline-block; margin: 0.5em; } figcaption { font-size: 0.85em; }
</style>
</head>
<body>
<h1>Robustness report</h1>
<p>Adversarial frequency φ̂(ε) is the share of correctly classified points with ρ̂ ≤ ε, severity μ̂(ε)
the mean ρ̂ among them (Bastani et al., 2016, §2), at ε = ${o.eps} pixels (0–255 scale), with 95%
intervals (Wilson for frequency and accuracy, bootstrap for severity). Every counted example was
verified by a forward pass.</p>
<ul>
${provenance}
</ul>
<h2>Table 1</h2>
${htmlTable(o.table)}
<p><a href="table1.csv">table1.csv</a> · <a href="table1.md">table1.md</a></p>
<h2>Figure 3: points with ρ̂ ≤ ε</h2>
<img src="figure3.svg" alt="cumulative number of points with rho at most epsilon">
<p><a href="figure3.png">figure3.png</a> · <a href="figure3.vl.json">Vega-Lite spec</a></p>
<h2>Figure 2: adversarial examples</h2>
<p>Original, adversarial example, and perturbation scaled to the grey range (mid-grey: no change).</p>
${figures || "<p>No adversarial examples to show.</p>"}
${o.notes.map((n) => `<p><i>${escapeHtml(n)}</i></p>`).join("\n")}
</body>
</html>
`;
}
