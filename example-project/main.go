// Command hello is a tiny HTTP service that says which architecture it runs on.
//
//	hello --version   prints the version, GOOS/GOARCH (and GOARM) and exits
//	hello             serves /healthz and / on $PORT (default 8080)
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
)

// version is set at build time: go build -ldflags "-X main.version=1.2.3".
var version = "dev"

// platform reports GOOS/GOARCH, plus the ARM level the binary was built for.
func platform() string {
	p := runtime.GOOS + "/" + runtime.GOARCH
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "GOARM" && s.Value != "" {
				p += " GOARM=" + s.Value
			}
		}
	}
	return p
}

func main() {
	showVersion := flag.Bool("version", false, "print version and platform, then exit")
	flag.Parse()
	about := fmt.Sprintf("hello %s %s", version, platform())
	if *showVersion {
		fmt.Println(about)
		return
	}

	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, about)
	})
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	log.Printf("%s listening on :%s", about, port)
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
