package save_test

import (
	"fmt"
	"io"
	"log"
	"net/url"
	"os"
	"strings"

	"github.com/crawl-dev/crawl/store/save"
)

func Example() {
	tmp, err := os.MkdirTemp("", "save-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)

	d, err := save.Open(tmp)
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()

	u, err := url.Parse("https://example.com/list.php?page=2")
	if err != nil {
		log.Fatal(err)
	}
	f, err := d.Create(save.PathFor(u, "text/html"))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Abort() // does nothing once committed
	if _, err := io.Copy(f, strings.NewReader("<p>page 2</p>")); err != nil {
		log.Fatal(err)
	}
	rel, sum, err := f.Commit()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rel)
	fmt.Println(sum[:16])
	// Output:
	// example.com/list.php@page=2.html
	// 257784be4b056823
}
