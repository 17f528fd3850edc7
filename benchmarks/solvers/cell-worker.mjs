// Worker entry: Node 20 workers do not take tsx's loader from execArgv, so register it here.
import { register } from "tsx/esm/api";

register();
await import("./cell.ts");
