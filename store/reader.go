package store

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxLine is the longest line, without its newline, that Read accepts.
// A record that big is already absurd (Links of a page with a million
// anchors); the limit only bounds the memory a corrupt file can take.
const maxLine = 64 << 20

// ErrTornLine is returned, wrapped, by Read and ReadFile when the input
// ends with a line that has no trailing newline: the writer was stopped in
// the middle of a line. Every whole line before it was delivered.
var ErrTornLine = errors.New("torn last line: no trailing newline")

// Read decodes JSON lines from r and calls fn with each record in order;
// fn may keep the record. If fn returns an error, Read stops and returns
// that error as it is. Blank lines (only spaces, tabs, \r) are skipped,
// unknown fields are ignored, and a line holding anything but one JSON
// object is an error naming its line number, as is a line longer than
// 64 MiB. A final line without a trailing newline is not decoded: Read
// returns an error wrapping ErrTornLine after fn saw every whole line.
func Read(r io.Reader, fn func(*Record) error) error {
	return read(r, fn, maxLine)
}

// ReadLines is Read that calls fn with each record's line as it is in r,
// without its newline, instead of the decoded record; the line is valid
// until fn returns. Every line is checked as Read checks it.
func ReadLines(r io.Reader, fn func(line []byte) error) error {
	return scan(r, maxLine, func(line []byte, _ *Record) error { return fn(line) })
}

// read is Read with the line limit as a parameter, for tests.
func read(r io.Reader, fn func(*Record) error, limit int) error {
	return scan(r, limit, func(_ []byte, rec *Record) error { return fn(rec) })
}

// scan splits r into lines, decodes each and calls fn with the line and
// its record; blank lines are skipped.
func scan(r io.Reader, limit int, fn func([]byte, *Record) error) error {
	br := bufio.NewReaderSize(r, bufSize)
	var long []byte // holds a line longer than br's buffer
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) && len(long) <= limit {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		switch {
		case err == nil:
			line = line[:len(line)-1] // the newline
		case errors.Is(err, bufio.ErrBufferFull):
			// Stopped collecting: the line is over the limit.
		case errors.Is(err, io.EOF):
			if len(line) == 0 {
				return nil
			}
			if len(line) <= limit {
				return fmt.Errorf("line %d: %w", n, ErrTornLine)
			}
		default:
			return fmt.Errorf("line %d: %w", n, err)
		}
		if len(line) > limit {
			return fmt.Errorf("line %d: longer than %d bytes", n, limit)
		}
		rec, err := decodeLine(line)
		if err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		if rec == nil {
			continue // blank
		}
		if err := fn(line, rec); err != nil {
			return err
		}
	}
}

// decodeLine decodes one line, without its newline. A blank line is a nil
// record and no error.
func decodeLine(line []byte) (*Record, error) {
	trimmed := bytes.TrimLeft(line, " \t\r")
	if len(trimmed) == 0 {
		return nil, nil
	}
	if trimmed[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	rec := new(Record)
	if err := json.Unmarshal(line, rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// ReadFile reads the JSON lines file at path with Read, decompressing it
// if the name ends in ".gz". An empty file, even a ".gz" one (a writer
// killed before its first flush), holds no records and is not an error.
// A gzip stream cut short (no footer) is an error wrapping
// io.ErrUnexpectedEOF, after fn saw the lines that were flushed into it.
// Errors name the path, including those returned by fn.
func ReadFile(path string, fn func(*Record) error) (err error) {
	return readFile(path, func(r io.Reader) error { return Read(r, fn) })
}

// ReadFileLines is ReadFile with ReadLines: fn gets each record's line.
func ReadFileLines(path string, fn func(line []byte) error) error {
	return readFile(path, func(r io.Reader) error { return ReadLines(r, fn) })
}

// readFile opens path, decompressing it if the name ends in ".gz", and
// reads it with read.
func readFile(path string, read func(io.Reader) error) (err error) {
	f, err := os.Open(path)
	if err != nil {
		return err // *fs.PathError: "open PATH: REASON"
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if errors.Is(err, io.EOF) {
			return nil // empty file
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		r = zr
	}
	if err := read(r); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}
