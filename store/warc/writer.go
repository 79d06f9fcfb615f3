package warc

import (
	"bufio"
	"errors"
	"fmt"
	"github.com/klauspost/compress/gzip"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// bufSize is the size of the buffer between the records and the file.
const bufSize = 64 << 10

// Options configures an output. The zero value writes one file whose
// warcinfo names no software and no command line.
type Options struct {
	// MaxSize, when positive, starts a new file before an exchange that
	// would make the current one exceed MaxSize bytes (as stored, so
	// compressed for .warc.gz). An exchange that alone exceeds it gets a
	// file of its own. 0 writes one file, named path.
	MaxSize int64
	// Software goes into warcinfo's "software" field, e.g. "crawl/0.1".
	Software string
	// Command is the command line; it goes into warcinfo's "command" field.
	Command []string
}

// Checkpoint is where the committed records end: File is the number of the
// file (1 for the first, and for an output without MaxSize) and Offset the
// byte offset after its last whole record. The zero Checkpoint means
// nothing is committed.
type Checkpoint struct {
	File   int   `json:"file"`
	Offset int64 `json:"offset"`
}

// Writer writes WARC records to one file at a time. It is not safe for
// concurrent use: one goroutine owns it. Use Open or Resume.
type Writer struct {
	path string // as given to Open or Resume
	base string // path without its .warc or .warc.gz suffix
	ext  string // ".warc" or ".warc.gz"
	opts Options

	num      int           // number of the current file, from 1
	name     string        // base name of the current file
	file     *os.File      // nil after Close
	out      *countWriter  // counts bytes handed to bw
	bw       *bufio.Writer // buffers out
	gz       *gzip.Writer  // nil for plain .warc
	infoID   string        // WARC-Record-ID of the current file's warcinfo
	infoEnd  int64         // offset after the current file's warcinfo
	done     Checkpoint    // after the last whole exchange (or warcinfo)
	err      error         // sticky write error
	closed   bool
	scratch  []byte // copy buffer for payloads
	hostname string
}

// Open starts a new WARC output at path; see the package documentation for
// naming. It creates or truncates the first file and writes its warcinfo.
// Errors are one line: "warc PATH: REASON".
func Open(path string, opts Options) (*Writer, error) {
	w, err := newWriter(path, opts)
	if err != nil {
		return nil, err
	}
	if err := w.removeFrom(2); err != nil {
		return nil, err
	}
	if err := w.create(1); err != nil {
		return nil, err
	}
	return w, nil
}

func newWriter(path string, opts Options) (*Writer, error) {
	var ext string
	switch {
	case strings.HasSuffix(path, ".warc.gz"):
		ext = ".warc.gz"
	case strings.HasSuffix(path, ".warc"):
		ext = ".warc"
	default:
		return nil, fmt.Errorf("warc %s: name must end in .warc or .warc.gz", path)
	}
	if opts.MaxSize < 0 {
		return nil, fmt.Errorf("warc %s: negative MaxSize %d", path, opts.MaxSize)
	}
	host, _ := os.Hostname() // optional in warcinfo: "" leaves it out
	return &Writer{
		path:     path,
		base:     strings.TrimSuffix(path, ext),
		ext:      ext,
		opts:     opts,
		scratch:  make([]byte, 32<<10),
		hostname: host,
	}, nil
}

// fileName is the path of file number n.
func (w *Writer) fileName(n int) string {
	if w.opts.MaxSize == 0 {
		return w.path
	}
	return fmt.Sprintf("%s-%05d%s", w.base, n, w.ext)
}

// create creates (or truncates) file number n and writes its warcinfo.
func (w *Writer) create(n int) error {
	path := w.fileName(n)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("warc %s: %w", path, pathless(err))
	}
	w.attach(f, n, 0)
	id, err := w.writeWarcinfo()
	if err == nil {
		err = w.bw.Flush()
	}
	if err != nil {
		w.err = fmt.Errorf("warc %s: %w", path, err)
		return errors.Join(w.err, w.detach())
	}
	w.infoID = id
	w.infoEnd = w.out.n
	w.done = Checkpoint{File: n, Offset: w.out.n}
	return nil
}

// attach makes f, positioned at offset, the current file number n.
func (w *Writer) attach(f *os.File, n int, offset int64) {
	w.file = f
	w.num = n
	w.name = filepath.Base(f.Name())
	w.out = &countWriter{w: f, n: offset}
	if w.bw == nil {
		w.bw = bufio.NewWriterSize(w.out, bufSize)
	} else {
		w.bw.Reset(w.out)
	}
	if w.ext == ".warc.gz" && w.gz == nil {
		w.gz = gzip.NewWriter(nil)
	}
}

// detach closes the current file.
func (w *Writer) detach() error {
	if w.file == nil {
		return nil
	}
	err := w.file.Close()
	w.file = nil
	return err
}

// rotate closes the current file and starts the next one.
func (w *Writer) rotate() error {
	if err := w.bw.Flush(); err != nil {
		return err
	}
	if err := w.file.Sync(); err != nil {
		return err
	}
	if err := w.detach(); err != nil {
		return err
	}
	return w.create(w.num + 1)
}

// cutBack drops everything in the current file after offset, so that a
// failed or moved exchange leaves no partial record.
func (w *Writer) cutBack(offset int64) error {
	w.bw.Reset(w.out) // drop what is buffered
	if err := w.file.Truncate(offset); err != nil {
		return err
	}
	if _, err := w.file.Seek(offset, io.SeekStart); err != nil {
		return err
	}
	w.out.n = offset
	return nil
}

// removeFrom removes the files numbered n and up of a rotating output, so
// that a new output never sits beside the tail of an older one.
func (w *Writer) removeFrom(n int) error {
	if w.opts.MaxSize == 0 {
		return nil
	}
	dir, prefix := filepath.Split(w.base + "-")
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // create reports the missing directory
		}
		return fmt.Errorf("warc %s: %w", w.path, pathless(err))
	}
	for _, e := range entries {
		num, ok := fileNumber(e.Name(), prefix, w.ext)
		if !ok || num < n {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("warc %s: %w", w.path, err)
		}
	}
	return nil
}

// fileNumber parses the NNNNN of PREFIXNNNNNEXT, five digits or more.
func fileNumber(name, prefix, ext string) (int, bool) {
	digits, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return 0, false
	}
	digits, ok = strings.CutSuffix(digits, ext)
	if !ok || len(digits) < 5 || len(digits) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// Checkpoint is where the committed records end: after the last whole
// exchange, or after the warcinfo when the file has no exchange yet.
func (w *Writer) Checkpoint() Checkpoint { return w.done }

// Sync flushes the buffered records and commits the current file to stable
// storage (fsync).
func (w *Writer) Sync() error {
	if err := w.usable(); err != nil {
		return err
	}
	if err := w.bw.Flush(); err != nil {
		return w.fail(err)
	}
	if err := w.file.Sync(); err != nil {
		return w.fail(err)
	}
	return nil
}

// Close flushes and closes the current file. It does not fsync: call Sync
// first for that. Calling Close again does nothing and returns nil.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	var err error
	if w.file != nil && w.err == nil {
		err = w.bw.Flush()
	}
	if cerr := w.detach(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("warc %s: %w", w.name, err)
	}
	return nil
}

// usable reports why the writer cannot write: closed, or a sticky error.
func (w *Writer) usable() error {
	if w.closed {
		return errors.New("warc: writer is closed")
	}
	return w.err
}

// fail makes err sticky and returns it, naming the current file.
func (w *Writer) fail(err error) error {
	w.err = fmt.Errorf("warc %s: %w", w.name, err)
	return w.err
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
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

// Dir is the directory the output's files are in. A caller that must
// spool payloads before writing them can keep them there, within the
// place the user named.
func (w *Writer) Dir() string { return filepath.Dir(w.path) }
