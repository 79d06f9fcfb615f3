package parser_test

import (
	"fmt"
	"net/url"

	"github.com/crawl-dev/crawl/parser"
)

func ExampleParse() {
	body := []byte(`<!DOCTYPE html>
<html><head>
<meta charset="utf-8">
<meta name="robots" content="noindex">
<title>  Caf&eacute;
   menu </title>
</head><body>
<a href="drinks.html#tea">Drinks</a>
<a href="/Menu/./food?b=2&amp;a=1">Food</a>
<a href="HTTPS://WWW.Example.COM:443/menu/drinks.html">Drinks again</a>
<a href="mailto:owner@example.com">Mail</a>
<!-- <a href="/hidden">not a link</a> -->
</body></html>`)
	page, err := url.Parse("https://www.example.com/menu/")
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := parser.Parse(body, "text/html", page, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("title %q, charset %s, noindex %v\n", p.Title, p.Charset, p.NoIndex)
	for _, link := range p.Links {
		fmt.Println(link, "key", parser.DedupKey(link))
	}
	// Output:
	// title "Café menu", charset utf-8, noindex true
	// https://www.example.com/menu/drinks.html key https://www.example.com/menu/drinks.html
	// https://www.example.com/Menu/food?b=2&a=1 key https://www.example.com/Menu/food?a=1&b=2
}

func ExampleNormalize() {
	for _, raw := range []string{
		"HTTP://Example.COM:80/a/./b/../c#frag",
		"https://bücher.de/%7euser/?utm_source=x&q=%2f",
		"javascript:alert(1)",
	} {
		n, err := parser.Normalize(raw)
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Println(n, "->", parser.DedupKey(n))
	}
	// Output:
	// http://example.com/a/c -> http://example.com/a/c
	// https://xn--bcher-kva.de/~user/?utm_source=x&q=%2F -> https://xn--bcher-kva.de/~user/?q=%2F
	// error: normalize "javascript:alert(1)": not an http or https URL
}
