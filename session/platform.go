package session

import (
	"os"
	"runtime"
	"strings"
)

// PlatformStrings describes the host the way the reference backend does in
// REGISTER_VIEWER_ACK (the frontend only forwards them to telemetry).
func PlatformStrings(version string) map[string]string {
	release, err := os.ReadFile("/etc/os-release")
	if err != nil {
		release = []byte("Platform information not available")
	}
	platform := runtime.GOOS
	switch platform {
	case "linux":
		platform = "Linux"
	case "darwin":
		platform = "macOS"
	}
	return map[string]string{
		"release_info": strings.TrimSpace(string(release)),
		"deployment":   "cartago " + version,
		"architecture": runtime.GOARCH,
		"platform":     platform,
	}
}
