// Package tooltest lets tests use outside tools (Debian's Python modules
// that write our fixtures and check our results) without a missing tool
// ever hiding in CI: a test skips where the tool is absent, but fails
// under scripts/test.sh, which installs the tools and sets
// CARTAGO_REQUIRE_TOOLS. Imported by tests only.
package tooltest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Python is Debian's interpreter, the one with python3-h5py,
// python3-casacore, python3-astropy and python3-scipy.
const Python = "/usr/bin/python3"

// Required reports whether missing tools fail tests rather than skip
// them (scripts/test.sh).
func Required() bool { return os.Getenv("CARTAGO_REQUIRE_TOOLS") != "" }

// Missing skips t because of why, or fails it when tools are required.
func Missing(t testing.TB, why string) {
	t.Helper()
	if Required() {
		t.Fatal(why + "; scripts/test.sh requires it")
	}
	t.Skip(why + "; scripts/test.sh installs it and runs this test")
}

// NeedPython calls Missing unless Python imports every module; packages
// names the Debian packages that hold them.
func NeedPython(t testing.TB, packages string, modules ...string) {
	t.Helper()
	if err := exec.Command(Python, "-c", "import "+strings.Join(modules, ", ")).Run(); err != nil {
		Missing(t, Python+" cannot import "+strings.Join(modules, " and ")+" (apt-get install "+packages+")")
	}
}
