// A piscina worker for `rho verify --instances`: one instance per task, each network loaded once
// per worker. A bad file is the instance's error row, not the run's end.
import { readFileSync } from "node:fs";
import { type BackendName, useBackend } from "@rho/models";
import { parseVnnlib, VerifyInputError, VnnlibError, verifyProperty } from "@rho/verify";
import { type PropertyModel, propertyNetwork, specFor } from "../commands/verify.js";
import { UsageError } from "../errors.js";

export interface VerifyTask {
  readonly backend: BackendName | "auto";
  /** Resolved paths; `property` as the csv names it too, for messages. */
  readonly network: string;
  readonly property: string;
  readonly propertyName: string;
  readonly timeout: number;
}

export interface VerifyAnswer {
  readonly result: string;
  readonly seconds: number;
  readonly stage: string;
  /** Why an error row is one. */
  readonly message?: string;
}

let backend: Promise<unknown> | undefined;
const nets = new Map<string, Promise<PropertyModel>>();

export default async function run(t: VerifyTask): Promise<VerifyAnswer> {
  backend ??= useBackend(t.backend);
  await backend;
  try {
    const text = readFileSync(t.property, "utf8");
    let model = nets.get(t.network);
    if (!model) {
      model = propertyNetwork(t.network);
      nets.set(t.network, model);
    }
    const m = await model;
    const r = await verifyProperty(m.net, specFor(m, parseVnnlib(text, t.propertyName)), {
      timeout: t.timeout,
    });
    return { result: r.status, seconds: r.seconds, stage: r.stage ?? "" };
  } catch (e) {
    if (e instanceof UsageError || e instanceof VnnlibError || e instanceof VerifyInputError)
      return { result: "error", seconds: 0, stage: "", message: e.message };
    // an unreadable file is the instance's error too
    if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "EACCES")
      return {
        result: "error",
        seconds: 0,
        stage: "",
        message: `cannot read ${t.propertyName}: ${(e as Error).message}`,
      };
    throw e;
  }
}
