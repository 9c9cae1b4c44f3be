// Command worker does a background job at an interval, and says where it runs.
//
//	worker --version        prints the version and platform, then exits
//	worker [--every 30s]    logs one pass of its job per interval, until stopped
//	worker --once           one pass, then exits
package main

import (
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/mkmultiarch/mkmultiarch/example-multi/internal/about"
)

// version is set at build time: go build -ldflags "-X main.version=1.2.3".
var version = "dev"

func main() {
	showVersion := flag.Bool("version", false, "print version and platform, then exit")
	every := flag.Duration("every", 30*time.Second, "time between two passes")
	once := flag.Bool("once", false, "run one pass, then exit")
	flag.Parse()
	line := about.Line("worker", version)
	if *showVersion {
		fmt.Println(line)
		return
	}
	for pass := 1; ; pass++ {
		log.Printf("%s: pass %d done", line, pass)
		if *once {
			return
		}
		time.Sleep(*every)
	}
}
