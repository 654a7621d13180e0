// Package zfp is a pure-Go codec for the one zfp configuration the CARTA
// frontend decodes: fixed-precision compression of 2-D float32 arrays,
// raw stream without a zfp header, 64-bit stream words. The encoder emits
// byte for byte the stream of the zfp C library (0.5.5, which the frontend
// runs as WebAssembly, and 1.0.x, which Debian ships; the two are identical
// in this mode), so the browser decodes our tiles unchanged. The decoder
// exists for tests and tools.
//
// # Stream layout
//
// The array (nx = width, ny = height, row-major) is cut into 4×4 blocks in
// raster order, x fastest. Edge blocks narrower or shorter than 4 are padded
// the way zfp does it, rows first, then columns: n = 1, 2, 3 values
// v0, v1, v2 become v0 v0 v0 v0, v0 v1 v1 v0 and v0 v1 v2 v0. Each block is
// coded on its own, and blocks follow each other without alignment:
//
//   - A block whose values are all ±0 is a single 0 bit.
//   - Otherwise: 1 bit set, then the 8-bit biased common exponent
//     emax+127 (emax as frexp gives it for the largest magnitude, at least
//     −126); the values scaled by 2^(30−emax) and truncated to int32; the
//     forward lifting transform along x then y; coefficients reordered by
//     total sequency and mapped to negabinary; then the top `precision` bit
//     planes, most significant first, each coded as its first n bits
//     verbatim (n = coefficients already significant) followed by unary
//     group tests over the rest.
//
// Bits fill 64-bit words from the least significant end; words are stored
// little-endian, and the stream is padded with zero bits to a whole word.
// The precision is not in the stream: the frontend takes it from the
// tile's compression_quality.
//
// # Quirks kept on purpose
//
// Bit-exactness means copying the C library's edge behaviour on x86-64:
// blocks whose largest magnitude is below 2^−98 overflow zfp's scale
// factor and code as garbage (every value becomes INT32_MIN before the
// transform), and NaN or ±Inf values, which zfp's lossy modes do not
// support, code as INT32_MIN too (a block of only NaN codes as zeros).
// CARTA replaces NaN before compressing, so these cases do not reach the
// browser in practice; the golden tests pin them anyway. At low precision
// a value near FLT_MAX may also decode as ±Inf: the decoded error may
// then legitimately reach past the largest float.
//
// # Concurrency
//
// An Encoder or Decoder holds scratch state and must not be used by two
// goroutines at once; use one per worker. Their zero values are ready to
// use.
package zfp
