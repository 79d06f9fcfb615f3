package testserver

import (
	"unicode/utf16"
)

// markup adds pages whose HTML is broken or full of things that look like
// links. Each page's links field lists, in document order, exactly what an
// HTML5 parser extracts (a[href], area[href], frame[src], iframe[src],
// resolved against the first <base href>); every look-alike points to a
// trap page.
func (b *hostileBuilder) markup() {
	const m = "/markup/malformed/"
	f := b.add(&fixture{path: "/markup/malformed", status: 200, ctype: htmlType, title: "Malformed markup",
		links: []string{m + "1", m + "2", m + "3", m + "4", m + "5", m + "6", m + "7", m + "8", m + "9"},
		body: []byte("<html><head><title>Malformed markup</title>\n" +
			"<body bgcolor=white><div class=nav><p>Unclosed <b>bold <i>both</b> italic</i>\n" +
			"<a href=/markup/malformed/1>unquoted</a>\n" +
			"<a href='/markup/malformed/2'>single quotes <a href=/markup/malformed/3 class=x>nested</a>\n" +
			"<table><tr><td><a href=\"/markup/malformed/4\">in a table</td></table>\n" +
			"</html>\n<p>After a stray end tag: <a href=\"/markup/malformed/5\">five</a>\n" +
			"</body></html></body>\n<a href=/markup/malformed/6>after the end</a>\n" +
			"<a href=\"/markup/malformed/7\" href=\"" + b.trap("duplicate-attribute") + "\">first attribute wins</a>\n" +
			"<A HREF=\"/markup/malformed/8\">upper case</A> <a href = \"/markup/malformed/9\" >spaced</a>\n" +
			"<a href=\"" + b.trap("eof-in-tag") + "\n"), // a tag cut by the end of file is dropped
	})
	for _, l := range f.links {
		b.page(l, "Reached through malformed markup")
	}
	b.entry(f.path)

	const h = "/markup/hidden/"
	f = b.add(&fixture{path: "/markup/hidden", status: 200, ctype: htmlType, title: "Links that are not links",
		links: []string{h + "after-empty-comment", h + "real"},
		body: []byte("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Links that are not links</title>\n" +
			"<style>/* <a href=\"" + b.trap("style") + "\"> */ body { background: url(" + b.trap("style-url") + ") }</style>\n" +
			"<script>var next = \"" + b.trap("script") + "\";\n" +
			"document.write(\"<a href='" + b.trap("script-write") + "'>x</a></scr\" + \"ipt>\");</script>\n" +
			"</head><body>\n" +
			"<!-- <a href=\"" + b.trap("comment") + "\">commented out</a> -->\n" +
			"<!--[if IE]><a href=\"" + b.trap("conditional-comment") + "\">old IE</a><![endif]-->\n" +
			"<!--><a href=\"" + h + "after-empty-comment\">after an abruptly closed comment</a>\n" +
			"<textarea><a href=\"" + b.trap("textarea") + "\">in a textarea</a></textarea>\n" +
			"<template><a href=\"" + b.trap("template") + "\">in a template</a></template>\n" +
			"<xmp><a href=\"" + b.trap("xmp") + "\">in xmp</a></xmp>\n" +
			"<p><a data-href=\"" + b.trap("data-href") + "\">no href</a> <a href=\"" + h + "real\">the real link</a></p>\n" +
			"<plaintext><a href=\"" + b.trap("plaintext") + "\">everything after plaintext is text</a>\n"),
	})
	for _, l := range f.links {
		b.page(l, "A real link among fakes")
	}
	b.entry(f.path)

	const d = "/markup/basedir/"
	f = b.add(&fixture{path: "/markup/base/", status: 200, ctype: htmlType, title: "Base href",
		links: []string{d + "sub/page", d + "up", "/markup/base-absolute", d + "sub/?q=1", d + "sub/"},
		body: []byte("<!DOCTYPE html>\n<html><head><base href=\"" + d + "sub/\"><base href=\"/trap/second-base/\">\n" +
			"<title>Base href</title></head><body>\n" +
			"<a href=\"page\">relative</a> <a href=\"../up\">dot-dot</a> <a href=\"/markup/base-absolute\">absolute path</a>\n" +
			"<a href=\"?q=1\">query only</a> <a href=\"#fragment\">fragment only: the base, not the page</a>\n" +
			"</body></html>\n"),
	})
	for _, l := range f.links {
		b.page(l, "Resolved against <base href>")
	}
	b.page("/markup/base/page", "Trap: resolved against the page, not the base")
	b.page("/trap/second-base/page", "Trap: resolved against the second base")
	b.entry(f.path)

	const w = "/markup/ws/"
	f = b.add(&fixture{path: "/markup/whitespace", status: 200, ctype: htmlType, title: "White space in hrefs",
		links: []string{w + "1", w + "2", w + "3", w + "4", w + "5"},
		body: []byte("<!DOCTYPE html>\n<html><head><title>White space in hrefs</title></head><body>\n" +
			"<a href=\"  " + w + "1\n\">spaces and a newline</a>\n" +
			"<a href=\"\n\t" + w + "2 \t\">newline and tabs</a>\n" +
			"<a href=\"/markup/w\ns/3\">newline inside</a>\n" +
			"<a href=\"" + w + "4&#10;\">encoded newline</a>\n" +
			"<a href=\"&#32;" + w + "5&#9;\">encoded space and tab</a>\n" +
			"</body></html>\n"),
	})
	for _, l := range f.links {
		b.page(l, "Reached through a padded href")
	}
	b.entry(f.path)

	f = b.add(&fixture{path: "/markup/schemes", status: 200, ctype: htmlType, title: "Not http",
		links: []string{"/markup/schemes/ok"},
		body: []byte("<!DOCTYPE html>\n<html><head><title>Not http</title></head><body>\n" +
			"<a href=\"javascript:location='" + b.trap("javascript") + "'\">script</a>\n" +
			"<a href=\" JavaScript:void(0)\">script, spaced</a>\n" +
			"<a href=\"mailto:someone@example.invalid\">mail</a> <a href=\"tel:+15555550100\">phone</a>\n" +
			"<a href=\"data:text/html,&lt;a href=" + b.trap("data") + "&gt;x&lt;/a&gt;\">data</a>\n" +
			"<a href=\"http://[::1\">unclosed IPv6</a> <a href=\"http://%zz/\">bad escape in host</a>\n" +
			"<a href=\"http://exa mple.invalid/\">space in host</a> <a href=\"http://example.invalid:99999/\">bad port</a>\n" +
			"<a href=\"ftp://example.invalid/file\">ftp</a>\n" +
			"<a href=\"/markup/schemes/ok\">the only http link</a>\n" +
			"</body></html>\n"),
	})
	b.page("/markup/schemes/ok", "The only http link")
	b.entry(f.path)

	f = b.add(&fixture{path: "/markup/nofollow", status: 200, ctype: htmlType, title: "Meta robots nofollow",
		links: []string{"/trap/nofollow"}, nofollow: true,
		body: []byte("<!DOCTYPE html>\n<html><head><meta name=\"robots\" content=\"noindex, nofollow\">" +
			"<title>Meta robots nofollow</title></head><body>\n" +
			"<a href=\"" + b.trap("nofollow") + "\">recorded, not followed</a>\n</body></html>\n"),
	})
	b.entry(f.path)
}

// charsets adds pages whose titles are not in UTF-8, or are declared
// wrongly. title is what a crawler must record after decoding as browsers
// do (the WHATWG encoding sniffing algorithm: byte order mark, then the
// Content-Type charset, then <meta> in the first 1024 bytes, then a guess;
// "iso-8859-1" is decoded as windows-1252).
func (b *hostileBuilder) charsets() {
	doc := func(meta, title string) []byte {
		return []byte("<!DOCTYPE html>\n<html><head>" + meta + "<title>" + title + "</title></head>\n" +
			"<body><p>" + title + "</p></body></html>\n")
	}
	const (
		sjisPage   = "\x93\xfa\x96{\x8c\xea\x82\xcc\x83y\x81[\x83W\x81u\x93\x8c\x8b\x9e\x81v" // 日本語のページ「東京」
		sjisHeader = "\x83w\x83b\x83_\x81[\x82\xaa\x8f\x9f\x82\xc2"                           // ヘッダーが勝つ
		cp1252     = "\x93Smart\x94 quotes \x96 5 \x80 \x85 na\xefve"                         // “Smart” quotes – 5 € … naïve
	)
	pages := []struct {
		path, ctype, title string
		body               []byte
	}{
		{"/charset/sjis-header", "text/html; charset=Shift_JIS", "日本語のページ「東京」", doc("", sjisPage)},
		{"/charset/sjis-meta", "text/html", "日本語のページ「東京」", doc(`<meta charset="shift_jis">`, sjisPage)},
		{"/charset/header-beats-meta", "text/html; charset=shift_jis", "ヘッダーが勝つ",
			doc(`<meta charset="windows-1252">`, sjisHeader)},
		{"/charset/latin1-header", "text/html; charset=ISO-8859-1", "Café \u201ccrème\u201d €5",
			doc("", "Caf\xe9 \x93cr\xe8me\x94 \x805")},
		{"/charset/latin1-http-equiv", "text/html", "Ærøskøbing, Færøerne",
			doc(`<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">`, "\xc6r\xf8sk\xf8bing, F\xe6r\xf8erne")},
		{"/charset/windows-1252-meta", "text/html", "“Smart” quotes – 5 € … naïve",
			doc(`<meta charset="windows-1252">`, cp1252)},
		{"/charset/windows-1252-undeclared", "text/html", "“Smart” quotes – 5 € … naïve", doc("", cp1252)},
		{"/charset/utf8-late", "text/html", "Crème brûlée – déjà vu",
			doc("<!-- "+string(make1024())+" -->", "Crème brûlée – déjà vu")},
		{"/charset/meta-utf16-lie", "text/html", "Ünïcödé", doc(`<meta charset="utf-16">`, "Ünïcödé")},
		{"/charset/bom-utf8", "text/html; charset=iso-8859-1", "Zürich – 東京 😀",
			append([]byte("\xef\xbb\xbf"), doc("", "Zürich – 東京 😀")...)},
		{"/charset/bom-utf16le", "text/html", "Ελληνικά и русский",
			utf16Doc(doc("", "Ελληνικά и русский"), false)},
		{"/charset/bom-utf16be", "text/html; charset=utf-8", "Łódź – São Paulo",
			utf16Doc(doc("", "Łódź – São Paulo"), true)},
	}
	for _, p := range pages {
		b.entry(b.add(&fixture{path: p.path, status: 200, ctype: []string{p.ctype}, title: p.title, body: p.body}).path)
	}
}

// make1024 returns 1024 bytes of ASCII filler, to push what follows out of
// the <meta> prescan window.
func make1024() []byte {
	out := make([]byte, 1024)
	for i := range out {
		out[i] = "filler "[i%7]
	}
	return out
}

// utf16Doc encodes a UTF-8 document as UTF-16 with a byte order mark.
func utf16Doc(doc []byte, bigEndian bool) []byte {
	units := utf16.Encode([]rune(string(doc)))
	out := make([]byte, 0, 2+2*len(units))
	if bigEndian {
		out = append(out, 0xfe, 0xff)
	} else {
		out = append(out, 0xff, 0xfe)
	}
	for _, u := range units {
		if bigEndian {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	return out
}
