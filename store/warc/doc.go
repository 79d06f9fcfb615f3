// Package warc owns the crawl's WARC output (crawl --warc FILE): WARC/1.1
// files of request and response records, one file or a series rotated by
// size, with a Checkpoint to resume from after a crash. It imports no
// sibling package; the crawler turns its results into Exchanges.
//
// # Files
//
// Open(path, opts) starts an output. A path ending in ".warc.gz" writes
// one gzip member per record (so a reader can seek to any record); one
// ending in ".warc" writes plain WARC; any other name is an error. Without
// Options.MaxSize the output is the one file path. With it, files are
// named FILE-00001.warc.gz, FILE-00002.warc.gz, ... (FILE is path without
// its suffix), a new one started before an exchange would make the
// current one exceed MaxSize. Open truncates the first file and removes
// later files of an earlier output of the same name.
//
// Every file starts with a warcinfo record (Content-Type
// application/warc-fields) whose fields are software (Options.Software),
// format ("WARC File Format 1.1"), conformsTo (the WARC 1.1 spec),
// hostname (when known) and command (Options.Command, space-separated,
// Go-quoted where needed); its WARC header has WARC-Filename.
//
// # Records
//
// WriteExchange writes two records per Exchange, in this order:
//
//	response  Content-Type: application/http;msgtype=response
//	          block: ResponseHeader then Payload, as given
//	request   Content-Type: application/http;msgtype=request
//	          block: Request, as given
//
// Both have WARC-Type, WARC-Record-ID (<urn:uuid:...>, version 4),
// WARC-Date (Exchange.Date in UTC, RFC 3339 with nanoseconds, as WARC 1.1
// allows), WARC-Target-URI, WARC-IP-Address (when Exchange.IP is set),
// WARC-Warcinfo-ID (the file's warcinfo), WARC-Block-Digest (sha1,
// base32: "sha1:..."), Content-Type and Content-Length. The request has
// WARC-Concurrent-To, the response's ID; the response has
// WARC-Payload-Digest (of the HTTP payload, same form) and, when
// Exchange.Truncated is set, WARC-Truncated. The two
// records of an exchange are always in the same file.
//
// With Exchange.Revisit set, the response record is a revisit record
// instead (WARC 1.1 §6.7.2): a response already archived by a previous
// crawl. Its block is ResponseHeader alone; it has WARC-Profile
// (server-not-modified for a 304 to a conditional request,
// identical-payload-digest for a payload whose digest is the one archived
// before), WARC-Refers-To-Target-URI and WARC-Refers-To-Date (the record
// revisited), and WARC-Payload-Digest of the payload left out with
// identical-payload-digest only. No WARC-Truncated: the profile says the
// payload is left out (see Revisit).
//
// The response's digests are computed in one pass over Payload, which is
// then read again to be written: memory stays bounded (one 32 KiB copy
// buffer) whatever the payload's size.
//
// # What comes from gowarc
//
// The warcinfo record is built, validated and marshalled by
// github.com/nlnwa/gowarc/v3's record builder (strict validation: what
// does not validate is an error, not a record). Request and response
// records are written here, their header fields a gowarc.WarcFields and
// their blocks checked by checkExchange and streamed: the builder would
// copy every block into a buffer of its own first and its marshaler
// allocates 32 KiB per record, which cost more than the rest of a crawl
// (BenchmarkCrawlKeep in package crawler: 324 MB allocated per crawl of
// 3,106 pages instead of 138 MB). Compression is
// github.com/klauspost/compress/gzip, a member per record. The file
// handling (naming,
// rotation, offsets, cutting back) is ours: gowarc's WarcFileWriter names
// files by pattern, writes them under a temporary name, runs goroutines,
// can put the two records of an exchange in different files and cannot
// reopen a file to cut it at a committed offset. gowarc's reader reads the
// first record of a file on Resume.
//
// # Commit and resume
//
// When WriteExchange returns, its records have been handed to the
// operating system; Sync also fsyncs. Checkpoint returns where the
// committed records end (file number and offset); the crawler stores it
// with its state (it is small and JSON-marshalable) after a Sync.
// Resume(path, opts, cp) removes the files after cp.File, cuts file
// cp.File to cp.Offset (dropping a torn record and exchanges written after
// the checkpoint) and appends from there under the file's warcinfo.
//
// # Errors
//
// Errors are one line, naming the file: "warc PATH: REASON". An Exchange
// that would not make valid WARC (see Exchange's fields) and an error
// reading Payload write nothing and leave the Writer usable; an error
// writing the file is sticky: every later call returns it.
//
// # Concurrency
//
// A Writer is not safe for concurrent use: one goroutine owns it. The
// package starts no goroutines, keeps no global state and does not log.
package warc
