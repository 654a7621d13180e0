/*
 * zfpref: the zfp C library in the exact mode the CARTA frontend decodes
 * (fixed precision, 2-D float, nx = width, ny = height, no header, serial,
 * the library's default 64-bit stream words), as a reference for
 * imaging/zfp's golden tests and benchmark.
 *
 *   zfpref version                      library version and stream word size
 *   zfpref enc W H P IN OUT             raw float32 (native order) -> stream
 *   zfpref dec W H P IN OUT             stream -> raw float32
 *   zfpref bench W H P SECONDS IN       IN holds whole W*H tiles; encodes them
 *                                       round-robin on one thread for about
 *                                       SECONDS and prints the throughput per
 *                                       wall-clock and per CPU second
 *
 * Builds against zfp 0.5.5 and 1.0.x:
 *   gcc -O2 -o zfpref zfpref.c -lzfp
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zfp.h>

static void die(const char *msg) {
  fprintf(stderr, "zfpref: %s\n", msg);
  exit(1);
}

static void *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) die("cannot open input");
  if (fseek(f, 0, SEEK_END) != 0) die("cannot seek input");
  long n = ftell(f);
  if (n < 0) die("cannot size input");
  rewind(f);
  void *buf = malloc(n > 0 ? (size_t)n : 1);
  if (!buf) die("out of memory");
  if (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) die("short read");
  fclose(f);
  *len = (size_t)n;
  return buf;
}

static void write_file(const char *path, const void *buf, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) die("cannot create output");
  if (len > 0 && fwrite(buf, 1, len, f) != len) die("short write");
  if (fclose(f) != 0) die("cannot close output");
}

/* stream bound for one tile at precision p */
static size_t max_size(zfp_stream *zfp, zfp_field *field) {
  return zfp_stream_maximum_size(zfp, field);
}

/* compress one w*h tile into buf; returns the stream size */
static size_t encode(zfp_stream *zfp, zfp_field *field, bitstream *bs) {
  zfp_stream_set_bit_stream(zfp, bs);
  zfp_stream_rewind(zfp);
  return zfp_compress(zfp, field);
}

static int cmd_enc(int w, int h, int p, const char *in, const char *out) {
  size_t len;
  float *data = read_file(in, &len);
  if (len != (size_t)w * (size_t)h * sizeof(float)) die("input is not w*h float32");
  zfp_field *field = zfp_field_2d(data, zfp_type_float, w, h);
  zfp_stream *zfp = zfp_stream_open(NULL);
  zfp_stream_set_precision(zfp, p);
  size_t cap = max_size(zfp, field);
  void *buf = malloc(cap);
  bitstream *bs = stream_open(buf, cap);
  size_t n = encode(zfp, field, bs);
  if (n == 0) die("zfp_compress failed");
  write_file(out, buf, n);
  return 0;
}

static int cmd_dec(int w, int h, int p, const char *in, const char *out) {
  size_t len;
  void *buf = read_file(in, &len);
  float *data = calloc((size_t)w * (size_t)h, sizeof(float));
  zfp_field *field = zfp_field_2d(data, zfp_type_float, w, h);
  zfp_stream *zfp = zfp_stream_open(NULL);
  zfp_stream_set_precision(zfp, p);
  /* zfp reads whole words and does not check the end: give it slack */
  size_t cap = max_size(zfp, field);
  if (cap < len) cap = len;
  void *padded = calloc(cap + 64, 1);
  memcpy(padded, buf, len);
  bitstream *bs = stream_open(padded, cap + 64);
  zfp_stream_set_bit_stream(zfp, bs);
  zfp_stream_rewind(zfp);
  if (!zfp_decompress(zfp, field)) die("zfp_decompress failed");
  write_file(out, data, (size_t)w * (size_t)h * sizeof(float));
  return 0;
}

static double clock_seconds(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmd_bench(int w, int h, int p, double seconds, const char *in) {
  size_t len;
  float *data = read_file(in, &len);
  size_t tile = (size_t)w * (size_t)h;
  size_t ntiles = len / (tile * sizeof(float));
  if (ntiles == 0 || ntiles * tile * sizeof(float) != len) die("input is not whole w*h float32 tiles");
  zfp_field *field = zfp_field_2d(data, zfp_type_float, w, h);
  zfp_stream *zfp = zfp_stream_open(NULL);
  zfp_stream_set_precision(zfp, p);
  size_t cap = max_size(zfp, field);
  void *buf = malloc(cap);
  bitstream *bs = stream_open(buf, cap);
  size_t total = 0, iters = 0, bytes = 0;
  /* warm up, then time whole rounds over all tiles */
  for (size_t i = 0; i < ntiles; i++) {
    zfp_field_set_pointer(field, data + i * tile);
    bytes += encode(zfp, field, bs);
  }
  double t0 = clock_seconds(CLOCK_MONOTONIC), c0 = clock_seconds(CLOCK_THREAD_CPUTIME_ID), t;
  do {
    for (size_t i = 0; i < ntiles; i++) {
      zfp_field_set_pointer(field, data + i * tile);
      total += encode(zfp, field, bs);
    }
    iters += ntiles;
    t = clock_seconds(CLOCK_MONOTONIC) - t0;
  } while (t < seconds);
  double c = clock_seconds(CLOCK_THREAD_CPUTIME_ID) - c0;
  double mb = (double)iters * (double)tile * sizeof(float) / 1e6;
  /* one line, key=value, for scripts/bench-zfp.sh */
  printf("lib=\"%s\" tiles=%zu w=%d h=%d p=%d ms_per_tile=%.3f MB/s=%.1f cpu-MB/s=%.1f bytes_per_tile=%.0f\n",
         zfp_version_string, iters, w, h, p, 1e3 * t / (double)iters, mb / t, mb / c,
         (double)bytes / (double)ntiles);
  (void)total;
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "version") == 0) {
    printf("%s word_bits=%u\n", zfp_version_string, (unsigned)stream_word_bits);
    return 0;
  }
  if (argc == 7 && strcmp(argv[1], "enc") == 0)
    return cmd_enc(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), argv[5], argv[6]);
  if (argc == 7 && strcmp(argv[1], "dec") == 0)
    return cmd_dec(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), argv[5], argv[6]);
  if (argc == 7 && strcmp(argv[1], "bench") == 0)
    return cmd_bench(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atof(argv[5]), argv[6]);
  fprintf(stderr,
          "usage: zfpref version | enc W H P IN OUT | dec W H P IN OUT | bench W H P SECONDS IN\n");
  return 2;
}
