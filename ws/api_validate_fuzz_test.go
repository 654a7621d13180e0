package ws

import (
	"encoding/json"
	"testing"
)

// FuzzAPIBody feeds arbitrary bodies to the API's body validation: it
// never panics, and whatever it accepts is what the store may keep (a
// checked name and a JSON object).
func FuzzAPIBody(f *testing.F) {
	for _, seed := range []string{
		`{"version":2,"theme":"dark","astColor":"auto-blue"}`,
		`{"keys":["theme","tileCache"]}`,
		`{"layoutName":"my layout","layout":{"layoutVersion":2,"docked":{"type":"row","content":[]}}}`,
		`{"snippetName":"s","snippet":{"code":"app.openFile()","categories":[]}}`,
		`{"workspaceName":"w","workspace":` + savedWorkspace + `}`,
		`{"workspaceName":"Session 1","workspace":{}}`,
		`{"workspaceName":"a/b","workspace":{}}`,
		`[1]`, `null`, `{"a":1}{}`, "{\"\xff\":1}", `{"keys":[1]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if prefs, err := parsePreferences(body); err == nil {
			for k, v := range prefs {
				if checkKey(k) != nil || !json.Valid(v) {
					t.Fatalf("accepted preference %q = %q", k, v)
				}
			}
			if _, err := json.Marshal(prefs); err != nil {
				t.Fatalf("accepted preferences do not encode: %v", err)
			}
		}
		if keys, err := parseKeys(body); err == nil {
			for _, k := range keys {
				if checkKey(k) != nil {
					t.Fatalf("accepted key %q", k)
				}
			}
		}
		for _, kind := range []string{"layout", "snippet", "workspace"} {
			if name, value, err := parseNamed(body, kind); err == nil {
				if checkName(name) != nil || !json.Valid(value) || !isObject(value) {
					t.Fatalf("accepted %s %q = %q", kind, name, value)
				}
			}
			if name, err := parseName(body, kind); err == nil && checkName(name) != nil {
				t.Fatalf("accepted name %q", name)
			}
		}
	})
}
