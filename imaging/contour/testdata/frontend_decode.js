// Decodes contour coordinates with the frontend's own WebAssembly
// (carta_computation.wasm from carta-frontend 6.0.0), calling the same two
// exports its Decode wrapper calls: ZSTD_decompress into a buffer of
// uncompressed_coordinates_size bytes, then decodeArray in place.
//
// usage: node frontend_decode.js WASM [IN SIZE DECIMATION OUT]...
// Each IN holds raw_coordinates; its OUT receives the decoded float32
// values.
// Export names are the minified ones the 6.0.0 bundle uses: b memory,
// c constructors, d decodeArray, i malloc, l ZSTD_decompress.
"use strict";
const fs = require("fs");
const [wasmPath, ...jobs] = process.argv.slice(2);

let memory;
const imports = {
    a: {
        // emscripten_resize_heap
        a: (requested) => {
            const pages = Math.ceil((requested - memory.buffer.byteLength) / 65536);
            try {
                if (pages > 0) memory.grow(pages);
                return 1;
            } catch (e) {
                return 0;
            }
        },
    },
};
const instance = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(wasmPath)), imports);
const ex = instance.exports;
memory = ex.b;
ex.c();

for (let k = 0; k + 3 < jobs.length; k += 4) {
    const [inPath, size, dec, outPath] = [jobs[k], Number(jobs[k + 1]), Number(jobs[k + 2]), jobs[k + 3]];
    const src = fs.readFileSync(inPath);
    const srcPtr = ex.i(src.length);
    const destPtr = ex.i(size);
    new Uint8Array(memory.buffer, srcPtr, src.length).set(src);
    const n = ex.l(destPtr, size, srcPtr, src.length);
    if (n !== size) {
        console.error(`${inPath}: ZSTD_decompress returned ${n}, want ${size}`);
        process.exit(2);
    }
    ex.d(destPtr, size, dec);
    fs.writeFileSync(outPath, new Uint8Array(memory.buffer, destPtr, size));
}
