// Package about says what a binary is and where it runs, for every command of the module:
// `NAME --version` prints "NAME VERSION linux/ARCH" (and GOARM on 32-bit ARM).
package about

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Platform reports GOOS/GOARCH, plus the ARM level the binary was built for.
func Platform() string {
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

// Line is what --version prints: the command's name, its version and its platform.
func Line(name, version string) string {
	return fmt.Sprintf("%s %s %s", name, version, Platform())
}
