// The memory estimates that let a method refuse a network at once: CROWN's count of affine-map
// entries never falls below what it builds, and checkMemory refuses with one line past the limit.
import type { Shape } from "@rho/models/core";
import { arbNetwork } from "@rho/models/testing";
import fc from "fast-check";
import { expect, it } from "vitest";
import { affineEntries, checkMemory, crownBytes, getBoundMethod } from "../src/index.js";
import { affineMap } from "../src/linear/crown.js";

it("counts at least the entries of every affine map CROWN builds (every layer kind, joins too)", () => {
  fc.assert(
    fc.property(arbNetwork(), (net) => {
      net.layers.forEach((layer, l) => {
        if (layer.kind === "relu" || layer.kind === "maxpool") return;
        const built = affineMap(layer, net.inShapes[l] as Shape, net.shapes[l + 1] as Shape).indices.length;
        expect(affineEntries(net, l)).toBeGreaterThanOrEqual(built);
      });
      expect(crownBytes(net)).toBeGreaterThan(0);
    }),
    { numRuns: 200 },
  );
});

it("refuses, in one line naming what it would need, a method whose estimate exceeds the limit", () => {
  fc.assert(
    fc.property(arbNetwork(), (net) => {
      const crown = getBoundMethod("crown");
      const need = crownBytes(net);
      expect(() => checkMemory(crown, net, need)).not.toThrow();
      expect(() => checkMemory(crown, net, need - 1)).toThrow(/crown on .* would need about .* GB of memory/);
      // a method without an estimate passes
      expect(() => checkMemory(getBoundMethod("milp"), net, 0)).not.toThrow();
    }),
    { numRuns: 50 },
  );
});
