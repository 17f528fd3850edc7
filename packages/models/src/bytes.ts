/** The bytes of several typed arrays or buffers, back to back, in a new ArrayBuffer. */
export function concatBytes(parts: readonly (ArrayBufferView | ArrayBuffer)[]): ArrayBuffer {
  const views = parts.map((p) =>
    p instanceof ArrayBuffer ? new Uint8Array(p) : new Uint8Array(p.buffer, p.byteOffset, p.byteLength),
  );
  const out = new Uint8Array(views.reduce((s, v) => s + v.length, 0));
  let off = 0;
  for (const v of views) {
    out.set(v, off);
    off += v.length;
  }
  return out.buffer;
}
