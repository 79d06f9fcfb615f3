// Package save keeps fetched bodies on disk, one file per URL, for
// crawl --save DIR, in the layout that users of wget -x -E know.
//
// # Use
//
// Open checks the directory once; PathFor says where a URL's body goes;
// Create, Write and Commit put it there:
//
//	d, err := save.Open(dir)          // "save dir DIR: REASON"
//	f, err := d.Create(save.PathFor(u, mediaType))
//	defer f.Abort()                   // does nothing once committed
//	_, err = io.Copy(f, body)
//	rel, sum, err := f.Commit()       // the path used and the hex sha256
//
// A body is written to a temporary file in its target's directory (named
// ".#save-", a tag of the owner given to SetOwner, and random hex: a name
// PathFor never makes, since it escapes '#'), hashed and counted as it
// streams; Commit renames it into place, so a reader never sees a partial
// file under the final name, and a crash leaves at most temporary files,
// which Dir.RemoveTemporary removes when the same owner comes back.
// Dir.Sync makes every committed file durable (one syncfs(2)), for a
// caller that commits records about them. Abort removes the temporary
// file. Errors say what was being saved:
// "save REL: REASON".
//
// # Layout
//
// PathFor is pure: the same URL and media type give the same path on
// every run and every OS.
//
//   - HOST[:PORT]/PATH. The host is lower-cased; the port is there only
//     when the URL has one (normalized URLs drop default ports). An IPv6
//     host is written in brackets with '-' for ':' ("[2001-db8--1]:8080"),
//     and its zone's '%' as %25; a punycode host stays as it is, a Unicode
//     one is written in UTF-8. An empty host is written "@".
//   - A directory URL (path empty or ending in "/") is saved as
//     ".../index.html".
//   - A query becomes a suffix of the file name after '@':
//     "list.php?page=2" is "list.php@page=2". '@' is escaped everywhere
//     else, so the suffix cannot be mistaken for the path of another URL.
//   - An HTML response (text/html, application/xhtml+xml) whose file name,
//     query suffix included, does not end in ".html" or ".htm" (any case)
//     gets ".html": "/a" is "a.html", "/a/" is "a/index.html",
//     "/f.php?x=1" is "f.php@x=1.html". This also keeps the page "/a"
//     and a directory "a" needed by "/a/b" apart in the common case.
//   - Each segment is decoded and re-escaped: letters, digits, "-._~" and
//     printable UTF-8 are written as themselves, decoded from escapes;
//     "!$&'()+,;=" are kept as they came, raw or escaped; every other byte
//     is an upper-case %XX escape: NUL, controls, space, '/', '\', '%',
//     '@', ':', '*', '?', '"', '<', '>', '|', invalid UTF-8, non-printing
//     characters. So a decoded %2F never separates directories, and a '%'
//     in a name always starts an escape.
//   - Segments the OS gives a meaning to never appear as written: "." and
//     ".." (raw, or decoded from "%2e%2e") are written "%2E" and "%2E%2E";
//     an empty segment ("/a//b") is written "@".
//   - A segment over 200 bytes keeps its first 100 bytes, then '~' and 16
//     hex digits of the sha256 of the whole segment, then its extension
//     (up to 16 letters and digits after the last dot). A path over 1000
//     bytes keeps the host and the leading directories that fit in 700
//     bytes; the file goes under the last of them, named as a long segment
//     is, with the hash of everything dropped.
//
// Different URLs can still share a file: "/a" as HTML and "/a.html"; "/"
// and "/index.html"; "/A" and "/a" on a case-insensitive file system; the
// escaped and raw spellings of a byte such as '*'. The later Commit then
// replaces the earlier file.
//
// # Collisions and safety
//
// Every file operation goes through an os.Root opened on the dir, so no
// URL can reach outside it: not with "..", %2F or NUL, and not through a
// symbolic link planted inside the dir that points out, which os.Root
// refuses to follow. A name taken by the wrong kind of thing at write time
// is left alone: a file, or a link not leading to a directory inside the
// dir, where a directory is needed; a directory, or any link, where the
// file should go. The directory or the file then takes a deterministic
// name in the same directory instead: the name with '~' and 8 hex digits
// of its sha256 before its extension ("a" becomes "a~ca978112", "r.pdf"
// becomes "r~e06a5187.pdf"), and Commit returns the path actually used.
// When the fallback name is taken too, Create or Commit fails. A regular
// file under the name is replaced. Names on Windows (reserved device names, trailing
// dots, the port's ':') are not handled: the layout is for POSIX file
// systems.
//
// # Concurrency
//
// A Dir is safe for concurrent use; each File belongs to one goroutine.
// Two Files for the same path may be written at once: each has its own
// temporary file, and the last Commit wins. The package starts no
// goroutines, keeps no global state and does not log.
package save
