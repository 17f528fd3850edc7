/** The dense kernels' WebAssembly text. */
export declare const denseKernelsWat: () => string;
/** The module's bytes, compiled with wabt (SIMD enabled). */
export declare function denseKernelsWasm(): Promise<Uint8Array>;
/** The generated TypeScript file holding `bytes`. */
export declare function bytesModule(bytes: Uint8Array): string;
