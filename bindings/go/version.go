package libquant

// #include <lq/lq.h>
import "C"

import (
	"fmt"
	"os"
	"sync"
)

// ExpectedMajor and ExpectedMinor (the version this package was written for)
// are in version_gen.go, generated from meson.build.

// expectEnv lets tests pretend the package expects another version ("9.4").
const expectEnv = "LIBQUANT_EXPECT_VERSION"

// VersionNumber is the running library's major*10000 + minor*100 + patch.
func VersionNumber() int { return int(C.lq_version_number()) }

// Version is the running library's version string, e.g. "0.1.0".
func Version() string { return C.GoString(C.lq_version_string()) }

// BuildInfo is one line describing the library build ("key=value" pairs).
func BuildInfo() string { return C.GoString(C.lq_build_info()) }

// Compatible reports whether a library of version haveMajor.haveMinor
// serves a package written for wantMajor.wantMinor.
func Compatible(haveMajor, haveMinor, wantMajor, wantMinor int) bool {
	if haveMajor != wantMajor {
		return false
	}
	if haveMajor == 0 {
		return haveMinor == wantMinor
	}
	return haveMinor >= wantMinor
}

var versionOnce struct {
	sync.Once
	err error
}

// CheckVersion checks, once per process, that the loaded library is
// compatible. Every constructor calls it; a mismatch is an ErrUnsupported
// *Error naming both versions.
func CheckVersion() error {
	versionOnce.Do(func() { versionOnce.err = checkVersion() })
	return versionOnce.err
}

func checkVersion() error {
	wantMajor, wantMinor := ExpectedMajor, ExpectedMinor
	if fake := os.Getenv(expectEnv); fake != "" {
		var rest string
		if n, _ := fmt.Sscanf(fake+" end", "%d.%d %s", &wantMajor, &wantMinor, &rest); n != 3 || rest != "end" {
			return errorf(ErrInvalid, "%s=%q is not MAJOR.MINOR", expectEnv, fake)
		}
	}
	n := VersionNumber()
	if Compatible(n/10000, n/100%100, wantMajor, wantMinor) {
		return nil
	}
	return errorf(ErrUnsupported, "version mismatch: the loaded library is %s, but this package needs %d.%d.x",
		Version(), wantMajor, wantMinor)
}
