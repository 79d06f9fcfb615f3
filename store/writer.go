package store

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// bufSize is the size of the Writer's line buffer.
const bufSize = 64 << 10

// maxScratch bounds the memory a Writer keeps between records: an encoding
// buffer grown past it by one huge record is dropped.
const maxScratch = 1 << 20

// Writer writes Records as JSON lines. It is not safe for concurrent use:
// one goroutine owns it. The zero value is not usable; use Open or NewWriter.
//
// Each record is encoded whole before any of it is handed to the buffer,
// so a record that cannot be encoded writes nothing. The buffer is only
// ever flushed at a line boundary: every Write to the underlying writer
// carries whole lines (uncompressed output only; gzip reblocks the stream).
type Writer struct {
	bw     *bufio.Writer
	gz     *gzip.Writer // nil unless the output is gzip
	file   *os.File     // nil unless Open or Resume opened a file
	offset int64        // bytes of whole lines handed to bw, from the file's start
	enc    *encoder
	closed bool
}

// Open opens the output named by path:
//
//   - "-" is stdout, the given writer, which Close flushes but never closes;
//   - a name ending in ".gz" is a gzip file;
//   - anything else is a plain file.
//
// A file is created or truncated, with mode 0644 (before umask). Errors
// name the path: "open output PATH: REASON".
func Open(path string, stdout io.Writer) (*Writer, error) {
	if path == "-" {
		if stdout == nil {
			return nil, fmt.Errorf("open output %s: no stdout given", path)
		}
		return NewWriter(stdout), nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open output %s: %w", path, pathless(err))
	}
	w := &Writer{file: f, enc: newEncoder()}
	if strings.HasSuffix(path, ".gz") {
		w.gz = gzip.NewWriter(f)
		w.bw = bufio.NewWriterSize(w.gz, bufSize)
	} else {
		w.bw = bufio.NewWriterSize(f, bufSize)
	}
	return w, nil
}

// Resume reopens the plain JSONL file at path to go on writing after offset,
// for a crawl that resumes: the file is cut to offset first, dropping a torn
// last line and the lines whose URLs were never committed as done, and
// writes append from there. A missing file is created when offset is 0. It
// is an error for the file to be shorter than offset (it was edited or
// replaced since), and for path to be "-" or a ".gz" file, which cannot be
// cut at a committed offset.
func Resume(path string, offset int64) (*Writer, error) {
	if path == "-" || strings.HasSuffix(path, ".gz") {
		return nil, fmt.Errorf("resume output %s: a resumable output must be a plain file (not stdout, not .gz)", path)
	}
	flags := os.O_WRONLY
	if offset == 0 {
		flags |= os.O_CREATE
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("resume output %s: %w", path, pathless(err))
	}
	fi, err := f.Stat()
	if err == nil && fi.Size() < offset {
		err = fmt.Errorf("it has %d bytes, fewer than the %d already committed: was it edited or replaced?", fi.Size(), offset)
	}
	if err == nil {
		err = f.Truncate(offset)
	}
	if err == nil {
		_, err = f.Seek(offset, io.SeekStart)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("resume output %s: %w", path, err), f.Close())
	}
	return &Writer{file: f, bw: bufio.NewWriterSize(f, bufSize), enc: newEncoder(), offset: offset}, nil
}

// Offset is where the next line will start: the bytes of whole lines
// written since the file's start, buffered ones included (after Flush they
// are all in the file). Meaningful for plain files and writers given to
// NewWriter, not for gzip.
func (w *Writer) Offset() int64 { return w.offset }

// Sync flushes the buffered lines and commits the file to stable storage
// (fsync), so that they survive a power loss. For stdout and writers given
// to NewWriter it only flushes.
func (w *Writer) Sync() error {
	if err := w.Flush(); err != nil {
		return err
	}
	if w.file == nil {
		return nil
	}
	return w.file.Sync()
}

// NewWriter returns a Writer of uncompressed JSON lines to w. Close flushes
// but does not close w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{bw: bufio.NewWriterSize(w, bufSize), enc: newEncoder()}
}

// Write encodes r as one line into the buffer: Encode, then WriteLine.
// Errors of the underlying writer are returned as they are and are
// sticky: every later Write, Flush and Close returns them.
func (w *Writer) Write(r *Record) error {
	line, err := w.Encode(r)
	if err != nil {
		return err
	}
	return w.WriteLine(line)
}

// Encode returns r as the line Write would write, newline included, and
// writes nothing. Nil Links is written as []. FetchedAt is written in UTC.
// A record that cannot be encoded (a NaN or infinite DurationMS, a
// FetchedAt outside years 0-9999) is an error. The line is valid until the
// next Encode or Write.
func (w *Writer) Encode(r *Record) ([]byte, error) {
	line, err := w.enc.line(r)
	if err != nil {
		return nil, fmt.Errorf("encode record %s: %w", r.URL, err)
	}
	return line, nil
}

// WriteLine writes a line Encode returned (or a copy of one) into the
// buffer.
func (w *Writer) WriteLine(line []byte) error {
	if w.closed {
		return errors.New("write record: writer is closed")
	}
	if len(line) == 0 || line[len(line)-1] != '\n' || bytes.IndexByte(line[:len(line)-1], '\n') >= 0 {
		return errors.New("write record: not one line ending in a newline")
	}
	// Flush at the line boundary rather than let bufio cut this line in
	// two; a line longer than the buffer then goes out in one Write.
	if w.bw.Buffered() > 0 && len(line) > w.bw.Available() {
		if err := w.bw.Flush(); err != nil {
			return err
		}
	}
	n, err := w.bw.Write(line)
	w.offset += int64(n)
	return err
}

// Resumable says whether the output is a plain file, which Resume can cut
// back to an offset.
func (w *Writer) Resumable() bool { return w.file != nil && w.gz == nil }

// Flush writes the buffered lines to the underlying writer. For gzip it
// also does a sync flush of the compressor, so that a reader of the file,
// which sees a stream without its footer, can decode every line written so
// far. Flush does not fsync the file.
func (w *Writer) Flush() error {
	if w.closed {
		return errors.New("flush: writer is closed")
	}
	if err := w.bw.Flush(); err != nil {
		return err
	}
	if w.gz != nil {
		return w.gz.Flush()
	}
	return nil
}

// Close flushes the buffered lines, writes the gzip footer if the output is
// gzip, and closes the file if Open created one (never stdout nor the
// writer given to NewWriter). It returns the first error met but always
// closes the file. Calling Close again does nothing and returns nil.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.bw.Flush()
	if w.gz != nil {
		if gerr := w.gz.Close(); err == nil {
			err = gerr
		}
	}
	if w.file != nil {
		if ferr := w.file.Close(); err == nil {
			err = ferr
		}
	}
	return err
}

// pathless drops the path from an *fs.PathError, which our messages name
// already; errors.Is still sees the reason (e.g. fs.ErrNotExist).
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
