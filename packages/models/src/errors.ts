/** A network description that is inconsistent: wrong weight sizes, shapes that do not chain, bad options. */
export class ModelError extends Error {
  override name = "ModelError";
}
