package warc

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/nlnwa/gowarc/v3"
)

// Resume reopens an output for a crawl that resumes from cp, a Checkpoint
// of an earlier Writer with the same path and Options: the files numbered
// after cp.File are removed, file cp.File is cut to cp.Offset (dropping a
// torn record and the exchanges never committed) and written on from
// there, under the warcinfo it starts with. The zero Checkpoint starts
// afresh, like Open.
//
// It is an error for file cp.File to be missing or shorter than cp.Offset
// (it was edited or replaced since), and for its committed part not to
// start with a warcinfo record.
func Resume(path string, opts Options, cp Checkpoint) (*Writer, error) {
	if cp == (Checkpoint{}) {
		return Open(path, opts)
	}
	w, err := newWriter(path, opts)
	if err != nil {
		return nil, err
	}
	if cp.File < 1 || cp.Offset < 0 || (opts.MaxSize == 0 && cp.File != 1) {
		return nil, fmt.Errorf("warc %s: bad checkpoint %+v for this output", path, cp)
	}
	if err := w.removeFrom(cp.File + 1); err != nil {
		return nil, err
	}
	if cp.Offset == 0 {
		if err := w.create(cp.File); err != nil {
			return nil, err
		}
		return w, nil
	}
	name := w.fileName(cp.File)
	f, err := os.OpenFile(name, os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("warc %s: %w", name, pathless(err))
	}
	infoID, infoEnd, err := resumePoint(f, cp.Offset)
	if err == nil {
		err = f.Truncate(cp.Offset)
	}
	if err == nil {
		_, err = f.Seek(cp.Offset, io.SeekStart)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("warc %s: resume: %w", name, err), f.Close())
	}
	w.attach(f, cp.File, cp.Offset)
	w.infoID, w.infoEnd, w.done = infoID, infoEnd, cp
	return w, nil
}

// resumePoint checks that f has at least offset bytes and that they start
// with a whole warcinfo record; it returns that record's WARC-Record-ID and
// the offset after it. What follows the warcinfo is not read: the
// checkpoint vouches for it.
func resumePoint(f *os.File, offset int64) (id string, end int64, err error) {
	fi, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	if fi.Size() < offset {
		return "", 0, fmt.Errorf("it has %d bytes, fewer than the %d already committed: was it edited or replaced?", fi.Size(), offset)
	}
	return firstWarcinfo(io.NewSectionReader(f, 0, offset))
}

// firstWarcinfo reads the first record of r, which must be a valid
// warcinfo record, and returns its ID and where it ends. r is untrusted:
// whatever it holds gives an error, never a panic.
func firstWarcinfo(r io.Reader) (id string, end int64, err error) {
	rd, err := gowarc.NewWarcFileReaderFromStream(r, 0, gowarc.WithStrictValidation())
	if err != nil {
		return "", 0, err
	}
	defer rd.Close()
	rec, err := rd.Next()
	if err == nil && (rec.WarcRecord == nil || rec.WarcRecord.Type() != gowarc.Warcinfo) {
		err = errors.New("not a warcinfo record")
	}
	if rec.WarcRecord != nil {
		defer rec.Close()
	}
	if err != nil {
		return "", 0, fmt.Errorf("first record: %w", err)
	}
	id = rec.WarcRecord.RecordId()
	if id == "" {
		return "", 0, errors.New("first record: warcinfo without WARC-Record-ID")
	}
	return id, rec.Offset + rec.Size, nil
}
