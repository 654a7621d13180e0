// Package catalog reads source catalogues (VOTable and FITS binary
// tables) into columnar in-memory tables, and filters, sorts and slices
// them for the catalog widget and the image overlay.
//
// Readers: VOTable 1.x with TABLEDATA, BINARY and BINARY2 (base64 STREAM)
// serialisations; FITS BINTABLE (the first one in the file). Column types
// follow the reference backend (CARTAvis/carta-backend src/Table/Columns.cc):
// scalar numbers and booleans, and strings; array columns other than
// strings are listed with type Unsupported and hold no data.
//
// Memory: a table is charged to a budget.Memory while it is read and
// until Close, and a table larger than Options.MaxBytes is refused, so a
// hostile or lying file cannot make the server allocate without bound:
// every allocation grows with bytes actually read, and sizes a FITS
// header announces are checked against the file size first.
//
// Errors wrap the sentinels in errors.go; a malformed file yields an
// error, never a panic.
package catalog
