// Files a model names (ONNX external data, TensorFlow.js weight shards) are read only from inside
// the model's own folder. A model file is input from anyone: a name that reaches outside (an
// absolute path, "..", a link out, a device or a FIFO) is refused before anything is opened, and
// the message says nothing about the outside file (whether it exists, its size, its contents).
import { closeSync, lstatSync, openSync, readSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { ModelError } from "./errors.js";

const inside = (root: string, path: string): boolean => {
  const r = relative(root, path);
  return r !== "" && !r.startsWith(`..${sep}`) && r !== ".." && !isAbsolute(r);
};

/** A regular file inside `dir` named by the model, as its real path and size. */
export interface FolderFile {
  readonly path: string;
  readonly size: number;
}

/**
 * Resolves `name` (as written in the model) to a regular file inside `dir`, or throws a ModelError
 * that starts with `what` ("model.onnx: tensor "w": external data").
 */
export function fileInModelFolder(dir: string, name: unknown, what: string): FolderFile {
  if (typeof name !== "string" || name === "" || name.includes("\0"))
    throw new ModelError(`${what}: the file name ${JSON.stringify(name)} is not a file name`);
  const shown = JSON.stringify(name);
  const outside = () =>
    new ModelError(
      `${what}: ${shown} is outside the model's folder; a model may only name regular files inside its own folder`,
    );
  if (isAbsolute(name) || name.split(/[\\/]/).includes("..")) throw outside();
  const root = resolve(dir);
  const path = resolve(root, name);
  if (!inside(root, path)) throw outside();
  try {
    lstatSync(path);
  } catch {
    throw new ModelError(`${what}: ${shown} is not in the model's folder ${dir}`);
  }
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw new ModelError(`${what}: ${shown} is a broken link`);
  }
  if (!inside(realpathSync(root), real)) throw outside();
  const st = statSync(real);
  if (!st.isFile()) throw new ModelError(`${what}: ${shown} is not a regular file`);
  return { path: real, size: st.size };
}

/** `length` bytes from `offset` of a file already checked by fileInModelFolder (range checked too). */
export function readRange(file: FolderFile, offset: number, length: number, what: string): Uint8Array {
  if (!(Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0))
    throw new ModelError(`${what}: data range ${offset}+${length} is not a pair of byte counts`);
  if (offset + length > file.size)
    throw new ModelError(`${what}: data range ${offset}+${length} is beyond the end of the file`);
  const out = new Uint8Array(length);
  const fd = openSync(file.path, "r");
  try {
    let done = 0;
    while (done < length) {
      const n = readSync(fd, out, done, length - done, offset + done);
      if (n === 0) throw new ModelError(`${what}: the file ended early`);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}
