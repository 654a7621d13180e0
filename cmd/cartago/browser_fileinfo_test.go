package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/tooltest"
)

// TestBrowserFileInfo: the File Information the frontend shows for the
// sample 3-D cube, read from the page, is what astropy computes from the
// file (scripts/fileinfo-check.py: the reference's entries, names and
// formats, CARTAvis/carta-backend src/FileList/FileExtInfoLoader.cc,
// with astropy's numbers). Both places the frontend shows it are read:
// the file browser's "File Information" tab (from FILE_INFO_RESPONSE)
// and, once the cube is loaded, the same tab of View > File Header (from
// OPEN_FILE_ACK). Before that, the HDU choice the file browser offers
// for a multi-HDU file.
func TestBrowserFileInfo(t *testing.T) {
	skipIfShort(t)
	root := smallSample(t)
	want := astropyEntries(t, filepath.Join(root, sampleCube))
	srv := startBrowserServer(t, root)
	b := startBrowser(t, srv)
	b.open("")
	b.waitFrame(false, uint16(icd.EventType_FILE_LIST_RESPONSE), 1, serverTimeout)

	// A multi-HDU file: the HDU choice lists each image HDU once, labelled
	// "N: EXTNAME" by the frontend from the key (the bare number) and the
	// "Extension name" entry.
	const multi = "multi-hdu.fits"
	b.clickUntilSent("the file "+multi+" in the file browser",
		`.file-list .filename-cell[title="`+multi+`"] .cell-text`, ev(icd.EventType_FILE_INFO_REQUEST), uiTimeout)
	labels := pollJS[string](b, "the HDU choice of "+multi, `(() => {
		const s = document.querySelector('.file-info-pane .file-info-panel-top select');
		return s ? JSON.stringify(Array.from(s.options).map(o => o.value + "=" + o.text)) : "";
	})()`, serverTimeout)
	if want := `["1=1: SCI","2=2: ERR"]`; labels != want {
		t.Errorf("HDU choice of %s: %s, want %s", multi, labels, want)
	}

	b.clickUntilSent("the file "+sampleCube+" in the file browser",
		`.file-list .filename-cell[title="`+sampleCube+`"] .cell-text`, ev(icd.EventType_FILE_INFO_REQUEST), uiTimeout)
	b.waitMessage(false, uint16(icd.EventType_FILE_INFO_RESPONSE), "a successful FILE_INFO_RESPONSE for "+sampleCube, func(p []byte) bool {
		var m icd.FileInfoResponse
		return proto.Unmarshal(p, &m) == nil && m.Success && m.FileInfo.GetName() == sampleCube
	}, serverTimeout)
	// The file browser opens on its File Information tab.
	shown, shot := readInfoEntries(b, ".file-info-pane")
	b.saveShot("-browser", shot)
	compareEntries(t, "file browser", shown, want)

	b.clickUntilSent("the file browser's Load button",
		`//div[contains(@class,"bp6-dialog-footer-actions")]//a[normalize-space(.)="Load" and not(@disabled)]`, ev(icd.EventType_OPEN_FILE), uiTimeout)
	b.waitMessage(false, uint16(icd.EventType_OPEN_FILE_ACK), "a successful OPEN_FILE_ACK", func(p []byte) bool {
		var m icd.OpenFileAck
		return proto.Unmarshal(p, &m) == nil && m.Success
	}, serverTimeout)
	pollJS[bool](b, "the file browser to close", `!document.querySelector('.file-list')`, uiTimeout)

	// View > File Header opens on the header tab; its File Information
	// tab lists the computed entries.
	item := `//a[contains(@class,"bp6-menu-item")][.//*[normalize-space(text())="File Header"]]`
	b.clickUntil("the View menu", `//*[contains(@class,"root-menu-entry")]//a[contains(@class,"bp6-menu-item")][normalize-space(.)="View"]`, "its File Header item shown",
		`!!document.evaluate(`+strconv.Quote(item)+`, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue?.offsetParent`, uiTimeout)
	b.clickUntilShown("View > File Header", item, ".file-info-dialog", uiTimeout)
	b.clickUntil("the File Information tab", `.file-info-dialog [data-testid="file-information-tab-title"]`, "the tab selected",
		`document.querySelector('.file-info-dialog [data-testid="file-information-tab-title"]')?.getAttribute('aria-selected') === 'true'`, uiTimeout)
	shown, shot = readInfoEntries(b, ".file-info-dialog")
	b.saveShot("-dialog", shot)
	compareEntries(t, "File Header dialog", shown, want)
	b.checkHealthy()
	b.rec.logSummary(t)
}

// astropyEntries runs scripts/fileinfo-check.py on the primary HDU of
// path: the entries computed with astropy, as [name, value] pairs.
func astropyEntries(t *testing.T, path string) [][2]string {
	t.Helper()
	if _, err := os.Stat(tooltest.Python); err != nil {
		missingTool(t, "no "+tooltest.Python+" (apt-get install python3-astropy)")
	}
	script := filepath.Join(repoRoot(t), "scripts", "fileinfo-check.py")
	if err := exec.Command(tooltest.Python, "-c", "import astropy").Run(); err != nil {
		missingTool(t, tooltest.Python+" cannot import astropy (apt-get install python3-astropy)")
	}
	out, err := exec.Command(tooltest.Python, script, "print", path, "0").Output()
	if err != nil {
		t.Fatalf("%s print %s: %v", script, path, err)
	}
	var want [][2]string
	if err := json.Unmarshal(out, &want); err != nil || len(want) == 0 {
		t.Fatalf("%s print %s: %v\n%s", script, path, err, out)
	}
	return want
}

// missingTool skips a test whose outside tool is missing, but fails it
// under scripts/test.sh, which installs the tools and sets
// CARTAGO_REQUIRE_TOOLS, so that a missing tool never hides there.
func missingTool(t *testing.T, why string) {
	t.Helper()
	tooltest.Missing(t, why)
}

// readInfoEntries reads the computed entries the FileInfo panel inside
// scope shows ("name = value" rows) and returns them with a screenshot.
// The list is virtualised: only rows in view are in the page, laid out
// when the page renders a frame, which a headless page does not do on
// its own; so each step captures a frame, then collects the rows and
// scrolls on, and the rows count once the end was reached twice with
// the same rows.
func readInfoEntries(b *browser, scope string) ([][2]string, []byte) {
	b.t.Helper()
	evalJS[bool](b, `(window.__cartagoInfo = {}, true)`)
	step := `(() => {
		const list = document.querySelector(` + strconv.Quote(scope+" .header-list") + `);
		if (!list) return "";
		const seen = window.__cartagoInfo;
		for (const r of list.querySelectorAll('.header-entry[data-testid^="header-entry-"]')) {
			const v = r.querySelector('.header-value')?.textContent ?? '';
			seen[r.dataset.testid.slice('header-entry-'.length)] =
				[r.querySelector('.header-name')?.textContent ?? '', v.replace(/^ = /, '')];
		}
		if (list.scrollTop + list.clientHeight < list.scrollHeight - 1) {
			list.scrollTop += Math.max(18, list.clientHeight / 2);
			return "";
		}
		const keys = Object.keys(seen).map(Number).sort((a, b) => a - b);
		return keys.length ? JSON.stringify(keys.map(k => seen[k])) : "";
	})()`
	var last string
	for deadline := time.Now().Add(uiTimeout); time.Now().Before(deadline); {
		shot := b.capture()
		text := evalJS[string](b, step)
		if text != "" && text == last {
			var rows [][2]string
			if err := json.Unmarshal([]byte(text), &rows); err != nil {
				b.fail("file information rows %q: %v", text, err)
			}
			return rows, shot
		}
		last = text
	}
	b.fail("the file information rows in %s did not settle within %v (last read %q)", scope, uiTimeout, last)
	return nil, nil
}

func compareEntries(t *testing.T, where string, got, want [][2]string) {
	t.Helper()
	var g, w strings.Builder
	for i, e := range got {
		fmt.Fprintf(&g, "%2d %s = %s\n", i, e[0], e[1])
	}
	for i, e := range want {
		fmt.Fprintf(&w, "%2d %s = %s\n", i, e[0], e[1])
	}
	if g.String() != w.String() {
		t.Errorf("%s shows:\n%s\nastropy:\n%s", where, g.String(), w.String())
	} else {
		t.Logf("%s shows the %d entries astropy computes", where, len(got))
	}
}
