package session

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/budget"
	"cartago/imaging/cache"
	"cartago/imaging/fits"
	"cartago/store"
)

// A Stokes hypercube is separate files of one grid, one per Stokes
// type, read as one image with a Stokes axis: a virtual image whose
// planes come from the file of their Stokes (concatSource), never a new
// file (Session.cc OnConcatStokesFiles, StokesFilesConnector.cc).

// handleConcatStokesFiles answers the file browser's "Load as hypercube".
func (c *Client) handleConcatStokesFiles(r request) error {
	var msg icd.ConcatStokesFiles
	if err := decode(r, &msg); err != nil {
		return err
	}
	f, ack, err := c.openConcat(r.ctx, msg.FileId, msg.StokesFiles)
	if errors.Is(err, budget.ErrOverBudget) && c.session.closeFrame(msg.FileId) {
		f, ack, err = c.openConcat(r.ctx, msg.FileId, msg.StokesFiles)
	}
	resp := &icd.ConcatStokesFilesAck{Success: err == nil, OpenFileAck: ack}
	if err != nil {
		c.log.Info("hypercube failed", "file_id", msg.FileId, "err", err)
		resp.Message = clientText(err, c.mgr.folder.Redact)
	}
	c.send(r.ctx, icd.EventType_CONCAT_STOKES_FILES_ACK, r.hdr.RequestID, resp)
	if f != nil {
		f.work.add(job{kind: jobData, run: f.sendImageHistograms}) // as after OPEN_FILE_ACK
	}
	return nil
}

// openConcat opens the files and puts their image in the session.
func (c *Client) openConcat(ctx context.Context, id int32, files []*icd.StokesFile) (*frame, *icd.OpenFileAck, error) {
	f, err := openConcatFrame(ctx, c.session, c.mgr.folder, id, files)
	if err != nil {
		return nil, nil, err
	}
	c.session.putFrame(f)
	var size, mtime int64
	for _, p := range f.sourcePaths() {
		s, m := statFile(p)
		size, mtime = size+s, max(mtime, m)
	}
	h := f.img.HDU
	ack := &icd.OpenFileAck{Success: true, FileId: id, FileInfo: fileInfo(f.name, size, mtime, []string{f.hdu}),
		FileInfoExtended: extendedInfo(f.name, h)}
	if b, ok := h.Beam(); ok {
		ack.BeamTable = []*icd.Beam{{Channel: -1, Stokes: -1,
			MajorAxis: float32(b.Major * 3600), MinorAxis: float32(b.Minor * 3600), Pa: float32(b.PA)}}
	}
	c.log.Info("hypercube opened", "file_id", id, "file", f.name, "stokes", len(files))
	return f, ack, nil
}

// stokesPart is one opened file of a hypercube.
type stokesPart struct {
	typ  icd.PolarizationType
	file *cache.File
	img  *fits.Image
}

// openConcatFrame opens the files of a hypercube as frame id: every
// check of the reference, the image's header (the first file's, with a
// Stokes axis over the files), pixels read from the files.
func openConcatFrame(ctx context.Context, s *Session, folder *Folder, id int32, files []*icd.StokesFile) (*frame, error) {
	parts, err := openStokesParts(ctx, s, folder, files)
	if err != nil {
		return nil, err
	}
	f, err := concatFrame(s, id, files, parts)
	if err != nil {
		for _, p := range parts {
			p.file.Close()
		}
		return nil, err
	}
	return f.start(s, folder), nil
}

func concatFrame(s *Session, id int32, files []*icd.StokesFile, parts []stokesPart) (*frame, error) {
	if err := checkStokesParts(parts); err != nil {
		return nil, err
	}
	h, err := concatHDU(parts)
	if err != nil {
		return nil, err
	}
	src, key := make(concatSource, len(parts)), "hypercube"
	var rest []*cache.File
	for i, p := range parts {
		src[i] = p.img
		key += fmt.Sprintf(" %v:%s", p.file.ID(), p.img.Key())
		if i > 0 {
			rest = append(rest, p.file)
		}
	}
	name := concatName(files, parts)
	px := newPixelsOf(src, h.Layout, key, s.mem, s.cache, parts[0].file.ID())
	if err := checkImageFits(s.mem, s.cache, px, name); err != nil {
		return nil, err
	}
	return &frame{id: id, dir: files[0].Directory, name: name, hdu: parts[0].img.Key(), file: parts[0].file,
		parts: rest, img: &fits.Image{HDU: h}, px: px, stokesFiles: cloneAll(files)}, nil
}

// openStokesParts opens the files, sorted by Stokes type as the
// reference concatenates them (I, Q, U, V).
func openStokesParts(ctx context.Context, s *Session, folder *Folder, files []*icd.StokesFile) ([]stokesPart, error) {
	if len(files) < 2 {
		return nil, errors.New("Need at least two files to concatenate!")
	}
	var parts []stokesPart
	fail := func(err error) ([]stokesPart, error) {
		for _, p := range parts {
			p.file.Close()
		}
		return nil, err
	}
	for _, sf := range files {
		if slices.ContainsFunc(parts, func(p stokesPart) bool { return p.typ == sf.PolarizationType }) {
			return fail(errors.New("Duplicate Stokes type found!"))
		}
		if fitsStokes(sf.PolarizationType) == 0 {
			return fail(errors.New("Failed to set the stokes coordinate system!"))
		}
		_, path, err := folder.File(sf.Directory, sf.File)
		if err != nil {
			return fail(errFileAccess(folder, sf.Directory, sf.File, err))
		}
		file, err := s.cache.Open(ctx, path, openOptions(s.mem))
		if err != nil {
			return fail(errFileAccess(folder, sf.Directory, sf.File, explainOpen(err, s.mem)))
		}
		if file.FITS() == nil {
			file.Close()
			return fail(fmt.Errorf("%s: %w: only FITS files make a hypercube", sf.File, ErrUnsupported))
		}
		img, err := file.FITS().Image(sf.Hdu)
		if err != nil {
			file.Close()
			return fail(fmt.Errorf("%s: %w", sf.File, err))
		}
		parts = append(parts, stokesPart{sf.PolarizationType, file, img})
	}
	slices.SortFunc(parts, func(a, b stokesPart) int { return int(a.typ) - int(b.typ) })
	return parts, nil
}

// fitsStokes is the FITS code of a Stokes type, 0 for types that are
// not a Stokes plane (derived polarizations).
func fitsStokes(t icd.PolarizationType) int {
	switch {
	case t >= icd.PolarizationType_I && t <= icd.PolarizationType_V:
		return int(t)
	case t >= icd.PolarizationType_RR && t <= icd.PolarizationType_YX:
		return -int(t - icd.PolarizationType_V) // RR = -1 ... YX = -8
	}
	return 0
}

// checkStokesParts refuses files that do not make one Stokes axis.
// Shapes and axes as the reference (StokesFilesValid); its contiguity
// check runs in the message's order, which the frontend makes in the
// order its FILE_INFO answers arrive, so we check the sorted order (the
// order of the axis) instead. Deliberately unlike the reference, the
// world coordinates of the other axes must match too.
func checkStokesParts(parts []stokesPart) error {
	first := parts[0].img
	for _, p := range parts {
		if p.img.Layout.Stokes != 1 {
			return errors.New("Stokes coordinate has no or multiple stokes types!")
		}
		if !slices.Equal(p.img.Naxis, first.Naxis) || p.img.Layout.Axes != first.Layout.Axes {
			return errors.New("Image shapes or axes are not consistent!")
		}
		if k := wcsMismatch(first, p.img); k != "" {
			return fmt.Errorf("Image shapes or axes are not consistent! (%s differs)", k)
		}
	}
	if len(parts) > 2 {
		step := fitsStokes(parts[1].typ) - fitsStokes(parts[0].typ)
		for i := 2; i < len(parts); i++ {
			if fitsStokes(parts[i].typ)-fitsStokes(parts[i-1].typ) != step {
				return fmt.Errorf("Hypercube %s is not allowed!", stokesLetters(parts))
			}
		}
	}
	return nil
}

// wcsMismatch names the first WCS keyword of a non-Stokes axis whose
// value differs between two images, "" when none does.
func wcsMismatch(a, b *fits.Image) string {
	for i := range a.Naxis {
		if i+1 == a.Layout.Axes.Stokes {
			continue
		}
		for _, k := range []string{"CTYPE", "CUNIT", "CRVAL", "CDELT", "CRPIX"} {
			key := fmt.Sprintf("%s%d", k, i+1)
			ca, _ := a.Header.Get(key)
			cb, _ := b.Header.Get(key)
			if ca.Type != cb.Type || (ca.Type == fits.TypeString && !strings.EqualFold(ca.Value, cb.Value)) || !closeEnough(ca.Number, cb.Number) {
				return key
			}
		}
	}
	return ""
}

func closeEnough(a, b float64) bool {
	d := a - b
	return d == 0 || (d < 0 && -d <= 1e-9*max(-a, a, -b, b)) || (d > 0 && d <= 1e-9*max(-a, a, -b, b))
}

func stokesLetters(parts []stokesPart) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.typ.String())
	}
	return b.String()
}

// concatName is the reference's name for a hypercube: the files' common
// start, "hypercube_", the Stokes types, and their common end
// ("m51_I.fits" and "m51_Q.fits" make "m51_hypercube_IQ.fits").
func concatName(files []*icd.StokesFile, parts []stokesPart) string {
	prefix, suffix := files[0].File, files[0].File
	for _, f := range files[1:] {
		n := 0
		for n < len(prefix) && n < len(f.File) && prefix[n] == f.File[n] {
			n++
		}
		prefix = prefix[:n]
		n = 0
		for n < len(suffix) && n < len(f.File) && suffix[len(suffix)-1-n] == f.File[len(f.File)-1-n] {
			n++
		}
		suffix = suffix[len(suffix)-n:]
	}
	return prefix + "hypercube_" + stokesLetters(parts) + suffix
}

// concatHDU is the hypercube's header: the first file's, with its
// Stokes axis (added after the last axis when it has none) spanning the
// files, so Layout.StokesValues names each file's type.
func concatHDU(parts []stokesPart) (*fits.HDU, error) {
	first := parts[0].img.HDU
	naxis, axis := slices.Clone(first.Naxis), first.Layout.Axes.Stokes
	if axis == 0 {
		naxis = append(naxis, len(parts))
		axis = len(naxis)
	}
	naxis[axis-1] = len(parts)
	own := map[string]bool{}
	for _, k := range []string{"CTYPE", "CRVAL", "CDELT", "CRPIX", "CUNIT", "CROTA"} {
		own[fmt.Sprintf("%s%d", k, axis)] = true
	}
	var cards []fits.Card
	for _, c := range first.Header.Cards {
		if !own[c.Name] && !droppedKeys[c.Name] && fits.CheckCard(c) == nil {
			cards = append(cards, c)
		}
	}
	code0, step := fitsStokes(parts[0].typ), fitsStokes(parts[1].typ)-fitsStokes(parts[0].typ)
	n := fmt.Sprint(axis)
	cards = append(cards, fits.NewStringCard("CTYPE"+n, "STOKES", ""), fits.NewFloatCard("CRVAL"+n, float64(code0), ""),
		fits.NewFloatCard("CDELT"+n, float64(step), ""), fits.NewFloatCard("CRPIX"+n, 1, ""))
	h, err := fits.DescribeHDU(fits.WriteHDU{Bitpix: -32, Naxis: naxis, Cards: cards})
	if err != nil {
		return nil, fmt.Errorf("hypercube header: %w", err)
	}
	return h, nil
}

// concatSource reads Stokes plane i from the i-th file (each has one).
type concatSource []*fits.Image

func (c concatSource) part(stokes int) (*fits.Image, error) {
	if stokes < 0 || stokes >= len(c) {
		return nil, fmt.Errorf("%w: Stokes %d of a hypercube of %d", fits.ErrOutOfRange, stokes, len(c))
	}
	return c[stokes], nil
}

func (c concatSource) ReadPlane(dst []float32, channel, stokes int) error {
	im, err := c.part(stokes)
	if err != nil {
		return err
	}
	return im.ReadPlane(dst, channel, 0)
}

func (c concatSource) ReadRows(dst []float32, channel, stokes, y0, rows int) error {
	im, err := c.part(stokes)
	if err != nil {
		return err
	}
	return im.ReadRows(dst, channel, 0, y0, rows)
}

func (c concatSource) ReadRect(dst []float32, channel, stokes, x0, y0, w, rows int) error {
	im, err := c.part(stokes)
	if err != nil {
		return err
	}
	return im.ReadRect(dst, channel, 0, x0, y0, w, rows)
}

func (c concatSource) ReadSpectrum(dst []float32, x, y, stokes, from int) error {
	im, err := c.part(stokes)
	if err != nil {
		return err
	}
	return im.ReadSpectrum(dst, x, y, 0, from)
}

// concatFiles is what a snapshot keeps of f: its source files.
func (f *frame) concatFiles() []*icd.StokesFile {
	out := make([]*icd.StokesFile, 0, len(f.stokesFiles))
	for _, sf := range f.stokesFiles {
		out = append(out, proto.CloneOf(sf))
	}
	return out
}

// openStored opens a stored image: a hypercube from its files (the
// reference's resume also concatenates when an image has more than one
// Stokes file), any other image from its file.
func openStored(s *Session, folder *Folder, img *store.Image) (*frame, error) {
	if len(img.StokesFiles) > 1 {
		return openConcatFrame(context.Background(), s, folder, img.FileId, img.StokesFiles)
	}
	return openFrame(context.Background(), s, folder, img.FileId, img.Directory, img.File, img.Hdu)
}
