// A join that reads one value twice (x + x): the encoding and the MILP write one term per column.
import { satisfies } from "@rho/constraints";
import { assignment, encodeNetwork } from "@rho/encoders";
import { Network, rawPixels } from "@rho/models";
import { expect, it } from "vitest";
import { exactRho } from "../src/index.js";

it("x + x: the forward pass satisfies the encoding, and the MILP finds exact ρ = 3.25", async () => {
  // logits (2·relu(x₀ − x₁), 2·relu(x₁ − x₀) + 1) at (10, 3): label 0 until x₀ − x₁ ≤ 0.5, so ρ = (7 − 0.5) / 2
  const net = new Network({
    inputShape: [2],
    preprocess: rawPixels(1),
    layers: [
      { kind: "dense", units: 2, weights: Float32Array.of(1, -1, -1, 1), bias: Float32Array.of(0, 0) },
      { kind: "relu" },
      { kind: "add", inputs: [2, 2] },
      { kind: "dense", units: 2, weights: Float32Array.of(1, 0, 0, 1), bias: Float32Array.of(0, 1) },
    ],
  });
  const px = [10, 3];
  const enc = encodeNetwork(net, { inputBox: [0, 20] });
  expect(satisfies(enc.sys, assignment(enc, px), { tol: 1e-9 })).toBe(true);
  const r = await exactRho(net, px, net.predict64(px), { epsMax: 20, timeLimit: 10 });
  expect(r.status).toBe("exact");
  expect(r.lower).toBeCloseTo(3.25, 6);
});
