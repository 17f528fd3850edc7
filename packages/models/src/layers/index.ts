import type { Layer, LayerKind, LayerModule } from "../layer.js";
import { avgpool } from "./avgpool.js";
import { conv2d } from "./conv2d.js";
import { dense } from "./dense.js";
import { dropout, flatten, relu } from "./elementwise.js";
import { globalavgpool } from "./globalavgpool.js";
import { add, concat } from "./joins.js";
import { maxpool } from "./maxpool.js";

type Modules = { [K in LayerKind]: LayerModule<Extract<Layer, { kind: K }>> };

/** One module per layer kind; the walkers below never special-case a kind. */
export const LAYER_MODULES: Modules = {
  dense,
  conv2d,
  relu,
  maxpool,
  avgpool,
  globalavgpool,
  flatten,
  dropout,
  add,
  concat,
};

export function moduleFor<L extends Layer>(layer: L): LayerModule<L> {
  return LAYER_MODULES[layer.kind] as unknown as LayerModule<L>;
}
