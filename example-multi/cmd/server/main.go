// Command server is a tiny HTTP service that says which architecture it runs on.
//
//	server --version   prints the version and platform, then exits
//	server             serves /healthz and / on $PORT (default 8080)
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/mkmultiarch/mkmultiarch/example-multi/internal/about"
)

// version is set at build time: go build -ldflags "-X main.version=1.2.3".
var version = "dev"

func main() {
	showVersion := flag.Bool("version", false, "print version and platform, then exit")
	flag.Parse()
	line := about.Line("server", version)
	if *showVersion {
		fmt.Println(line)
		return
	}
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, line)
	})
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	log.Printf("%s listening on :%s", line, port)
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
