// Command multictl is the server's client: it asks a server whether it is healthy.
//
//	multictl --version     prints the version and platform, then exits
//	multictl health URL    GET URL/healthz; exits 1 unless the server answers 200
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/mkmultiarch/mkmultiarch/example-multi/internal/about"
)

// version is set at build time: go build -ldflags "-X main.version=1.2.3".
var version = "dev"

func main() {
	showVersion := flag.Bool("version", false, "print version and platform, then exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(about.Line("multictl", version))
		return
	}
	if flag.NArg() != 2 || flag.Arg(0) != "health" {
		fmt.Fprintln(os.Stderr, "usage: multictl health URL")
		os.Exit(2)
	}
	client := http.Client{Timeout: 5 * time.Second}
	response, err := client.Get(strings.TrimSuffix(flag.Arg(1), "/") + "/healthz")
	if err != nil {
		fmt.Fprintln(os.Stderr, "multictl:", err)
		os.Exit(1)
	}
	defer response.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(response.Body, 1024))
	fmt.Printf("%s %s", response.Status, body)
	if response.StatusCode != http.StatusOK {
		os.Exit(1)
	}
}
