import { DatasetError } from "./errors.js";
import { readMaybeGzipped } from "./files.js";

// IDX (the MNIST format): 2 zero bytes, a type byte (0x08 = unsigned byte), the number of
// dimensions, then each dimension as a big-endian uint32, then the data.
const UBYTE = 0x08;

export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

export function parseIdx(bytes: Uint8Array, file: string, expectedDims: number): IdxArray {
  const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;
  const expectedMagic = (UBYTE << 8) | expectedDims;
  if (bytes.length < 4)
    throw new DatasetError(`${file}: ${bytes.length} bytes is too short for an IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  if (magic !== expectedMagic) {
    throw new DatasetError(
      `${file}: not an IDX file of ${expectedDims}-D unsigned bytes (magic ${hex(magic)}, expected ${hex(expectedMagic)})`,
    );
  }
  const header = 4 + 4 * expectedDims;
  if (bytes.length < header) throw new DatasetError(`${file}: truncated IDX header`);
  const dims = Array.from({ length: expectedDims }, (_, k) => view.getUint32(4 + 4 * k));
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== header + size) {
    throw new DatasetError(
      `${file}: header says ${dims.join(" × ")} = ${size} bytes of data, the file has ${bytes.length - header}` +
        (bytes.length < header + size ? " (truncated)" : " (trailing bytes)"),
    );
  }
  return { dims, data: bytes.subarray(header) };
}

export const readIdx = (file: string, expectedDims: number): IdxArray =>
  parseIdx(readMaybeGzipped(file), file, expectedDims);

/** Encodes an IDX file of unsigned bytes (used to write test fixtures and exported subsets). */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, (UBYTE << 8) | dims.length);
  dims.forEach((d, k) => {
    view.setUint32(4 + 4 * k, d);
  });
  out.set(data, 4 + 4 * dims.length);
  return out;
}
