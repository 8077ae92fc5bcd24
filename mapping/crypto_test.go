package mapping

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("bad base64 %q: %v", s, err)
	}
	return b
}

func bundle(t *testing.T, enc, mac []byte) KeyBundle {
	t.Helper()
	var kb KeyBundle
	if len(enc) != 32 || len(mac) != 32 {
		t.Fatalf("key sizes %d/%d", len(enc), len(mac))
	}
	copy(kb.Enc[:], enc)
	copy(kb.HMAC[:], mac)
	return kb
}

// sealed builds a v5 payload from its three fields.
func sealed(ct, iv, mac string) string {
	b, _ := json.Marshal(envelope{Ciphertext: ct, IV: iv, HMAC: mac})
	return string(b)
}

func TestVectorV1HKDF(t *testing.T) {
	// The documented master key is only 16 bytes, so DeriveKeyBundle (which
	// insists on 32) is checked through the same HKDF call it makes.
	master := mustHex(t, "c71aa7cbd8b82a8ff6eda55c39479fd2")
	prk, err := hkdf.Extract(sha256.New, master, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(prk); got != "89925e544da1434db1e7c9a59224a7033940c14c9321fb2a14c8ee1c37ae8d80" {
		t.Errorf("prk = %s", got)
	}
	okm, err := hkdf.Key(sha256.New, master, nil, syncKeyInfo, 64)
	if err != nil {
		t.Fatal(err)
	}
	want := "36ae05317f08eaa6f12c72633d6f9a1162cbbf9300a6728730db48643af73342a65574d6685dbf65a735912d272ee1ebe98c867428fb54616deae7bb7bc23dcc"
	if got := hex.EncodeToString(okm); got != want {
		t.Errorf("okm = %s", got)
	}
	if _, err := DeriveSyncKeyBundle(master); err == nil {
		t.Error("DeriveSyncKeyBundle accepted a 16-byte key")
	}
}

func TestVectorV2RecordEncryption(t *testing.T) {
	kb := bundle(t, mustHex(t, "d3af449d2dc4b432b8cb5b59d40c8a5fe53b584b16469f5b44828b756ffb6a81"),
		mustHex(t, "2c5d98092d500a048d09fd01090bd0d3a4861fc8ea2438bd74a8f43be6f47f02"))
	payload, err := kb.encryptWithIV([]byte("SECRET MESSAGE"), mustHex(t, "375a12d6de4ef26b735f6fccfbafff2d"))
	if err != nil {
		t.Fatal(err)
	}
	var env envelope
	if err := json.Unmarshal([]byte(payload), &env); err != nil {
		t.Fatal(err)
	}
	want := envelope{Ciphertext: "wcgqzENt5iXt9/7KPJ3rTA==", IV: "N1oS1t5O8mtzX2/M+6//LQ==",
		HMAC: "b5d1479ae2019663d6572b8e8a734e5f06c1602a0cd0becb87ca81501a08fa55"}
	if env != want {
		t.Errorf("envelope = %+v, want %+v", env, want)
	}
	// The cleartext has no id, so Decrypt must refuse it after a good HMAC;
	// open alone returns the plaintext.
	plain, err := kb.open("x", payload)
	if err != nil || string(plain) != "SECRET MESSAGE" {
		t.Errorf("open = %q, %v", plain, err)
	}
	if _, err := kb.Decrypt("x", payload); !errors.Is(err, ErrMalformedPayload) {
		t.Errorf("Decrypt of id-less cleartext: err = %v, want ErrMalformedPayload", err)
	}
}

const (
	v3KB        = "85c4f8c1d8e3e2186824c127af786891dd03c6e05b1b45f28f7181211bf2affb"
	v3KeysCT    = "PP5yNUYwJJoLcsL5o85i6RZfvanYDrwtChDD/LdKTZ8JOLubZ9DyRv3HMetSkbhL3HLvVm/FJ1Z4F2Z6IKQCxAc5dNnLsBIUUxhOHLbT0x9/jfnqZ8fLtlbkogI3ZlNvbc8iUF1aX+boe0Pv43vM0VvzxrnJDYzZ2a6jm9nbzUn0ldV9sv6vuvGHE6dANnRkZ3wA/q0q8UvjdwpzXBixAw=="
	v3KeysIV    = "FmosM+XBNy81/9oEAgI4Uw=="
	v3KeysHMAC  = "01a816e4577c6cf3f97b66b4382d0a3e7e9178c75a3d38ed9ac8ad6397c2ecce"
	v3HistCT    = "o/VpkqMj1tlT8t2youwsS2FgvQeonoHxqjGsRTu1+4swfyBq/QsnKfgOOMmDIXZiPC3hOCNUlf/NtQiEe55hzJZEKLBshaLfXotai6KrprwrmykfiXnwn73n+nYNs8BXL5awDHoaJToyFgF4PYokl7mwN7YC2xFiPgwO7Z2u/8r5RfnPV9MoafqvlvUkW+Tqs+QHeHS/iuSA0P2h/j5ynt9v4xDWLVfEMce0KOKHQ5Qj7BmEPAieWP1trkkDmTdVi2euWrs+fuG4C6PgY4A2j2DbNLVIloqpDVkqM2fgh0YOM9L2NC/uiKEb1Ynr2Fos"
	v3HistIV    = "kXL3hb11ltD+Jl0YFk+PlQ=="
	v3HistHMAC  = "cb727efe7a3f0307921cecbd1a97c03f06a4d75c42026089494d84fcf92dbff9"
	v3HistPlain = `{"id":"_9sCUbahs0ay","histUri":"https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/Object/proto","title":"Object.prototype.__proto__ - JavaScript | MDN","visits":[{"date":1439366063808983,"type":1}]}`
)

func TestVectorV3FullChain(t *testing.T) {
	kB := mustHex(t, v3KB)
	sb, err := DeriveSyncKeyBundle(kB)
	if err != nil {
		t.Fatal(err)
	}
	want := "d63eb2610f1e5edc21b37fed22b93b0f9ea379840fb5c3c5eb95991b9b3bfab69cbabfda0762bdf0b27431d81960c8cf5dab7d482901213a5a1b003eb0081ed0"
	if got := hex.EncodeToString(append(sb.Enc[:], sb.HMAC[:]...)); got != want {
		t.Fatalf("sync key bundle = %s", got)
	}
	keysPayload := sealed(v3KeysCT, v3KeysIV, v3KeysHMAC)
	plain, err := sb.Decrypt(KeysID, keysPayload)
	if err != nil {
		t.Fatal(err)
	}
	wantPlain := `{"default":["/XKu2GgjfQfrqoIJOQxdBkO++atxe0xO6C3fJaeAbmg=","cVehNzSJd0YDn3JaPz7alyuOuDW1iHmCzlJMZqJdfTc="],"collections":{},"collection":"crypto","id":"keys"}`
	if string(plain) != wantPlain {
		t.Errorf("crypto/keys cleartext = %s", plain)
	}
	ck, err := OpenCollectionKeys(sb, keysPayload)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(ck.Default.Enc[:]); got != "fd72aed868237d07ebaa8209390c5d0643bef9ab717b4c4ee82ddf25a7806e68" {
		t.Errorf("default enc = %s", got)
	}
	if got := hex.EncodeToString(ck.Default.HMAC[:]); got != "7157a13734897746039f725a3f3eda972b8eb835b5887982ce524c66a25d7d37" {
		t.Errorf("default hmac = %s", got)
	}
	hist, err := ck.For("history").Decrypt("_9sCUbahs0ay", sealed(v3HistCT, v3HistIV, v3HistHMAC))
	if err != nil {
		t.Fatal(err)
	}
	if string(hist) != v3HistPlain {
		t.Errorf("history cleartext = %s", hist)
	}
	// Re-encrypting with the recorded IV reproduces Firefox's bytes exactly.
	again, err := ck.For("history").encryptWithIV([]byte(v3HistPlain), mustB64(t, v3HistIV))
	if err != nil {
		t.Fatal(err)
	}
	if again != sealed(v3HistCT, v3HistIV, v3HistHMAC) {
		t.Errorf("re-encryption differs:\n%s", again)
	}
}

func TestVectorV4ApplicationServices(t *testing.T) {
	kb := bundle(t, mustB64(t, "9K/wLdXdw+nrTtXo4ZpECyHFNr4d7aYHqeg3KW9+m6Q="), mustB64(t, "MMntEfutgLTc8FlTLQFms8/xMPmCldqPlq/QQXEjx70="))
	clear := `{"id":"5qRsgXWRJZXr","histUri":"file:///Users/jason/Library/Application%20Support/Firefox/Profiles/ksgd7wpk.LocalSyncServer/weave/logs/","title":"Index of file:///Users/jason/Library/Application Support/Firefox/Profiles/ksgd7wpk.LocalSyncServer/weave/logs/","visits":[{"date":1319149012372425,"type":1}]}`
	const ct = "NMsdnRulLwQsVcwxKW9XwaUe7ouJk5Wn80QhbD80l0HEcZGCynh45qIbeYBik0lgcHbKmlIxTJNwU+OeqipN+/j7MqhjKOGIlvbpiPQQLC6/ffF2vbzL0nzMUuSyvaQzyGGkSYM2xUFt06aNivoQTvU2GgGmUK6MvadoY38hhW2LCMkoZcNfgCqJ26lO1O0sEO6zHsk3IVz6vsKiJ2Hq6VCo7hu123wNegmujHWQSGyf8JeudZjKzfi0OFRRvvm4QAKyBWf0MgrW1F8SFDnVfkq8amCB7NhdwhgLWbN+21NitNwWYknoEWe1m6hmGZDgDT32uxzWxCV8QqqrpH/ZggViEr9uMgoy4lYaWqP7G5WKvvechc62aqnsNEYhH26A5QgzmlNyvB+KPFvPsYzxDnSCjOoRSLx7GG86wT59QZw="
	const iv = "GX8L37AAb2FZJMzIoXlX8w=="
	const mac = "b1e6c18ac30deb70236bc0d65a46f7a4dce3b8b0e02cf92182b914e3afa5eebc"
	got, err := kb.encryptWithIV([]byte(clear), mustB64(t, iv))
	if err != nil {
		t.Fatal(err)
	}
	if got != sealed(ct, iv, mac) {
		t.Errorf("encrypt = %s", got)
	}
	plain, err := kb.Decrypt("5qRsgXWRJZXr", sealed(ct, iv, mac))
	if err != nil || string(plain) != clear {
		t.Errorf("decrypt = %q, %v", plain, err)
	}
	// Upper-case hex is accepted on input (application-services does).
	if _, err := kb.Decrypt("5qRsgXWRJZXr", sealed(ct, iv, strings.ToUpper(mac))); err != nil {
		t.Errorf("upper-case hmac rejected: %v", err)
	}
}

func TestVectorV5ScopedKey(t *testing.T) {
	wrapKB := mustHex(t, "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f")
	unwrap := mustHex(t, "6ea660be9c89ec355397f89afb282ea0bf21095760c8c5009bbcc894155bbe2a")
	kB := make([]byte, 32)
	for i := range kB {
		kB[i] = wrapKB[i] ^ unwrap[i]
	}
	if got := hex.EncodeToString(kB); got != "2ee722fdd8ccaa721bdeb2d1b76560efef705b04349d9357c3e592cf4906e075" {
		t.Fatalf("kB = %s", got)
	}
	if got := hex.EncodeToString(ClientState(kB)); got != "0408a4ee110e7691a73d99cf05275a4e" {
		t.Errorf("client state = %s", got)
	}
	k, kid, err := ScopedKeyJWK(kB, 1510726317123)
	if err != nil {
		t.Fatal(err)
	}
	if kid != "1510726317123-BAik7hEOdpGnPZnPBSdaTg" {
		t.Errorf("kid = %s", kid)
	}
	if k != "fwM5VZu0Spf5XcFRZYX2zk6MrqZP7zvovCBcvuKwgYMif3hz98FHmIVa3qjKjrW0J244Zj-P5oWaOcQbvypmpw" {
		t.Errorf("k = %s", k)
	}
}

func TestVectorV6AESCBC(t *testing.T) {
	// The IV is non-canonical base64 (non-zero padding bits); the default
	// decoder still reads it, as Firefox does.
	cases := []struct{ name, key, iv, plain, ct string }{
		{"aes256 short", "c5hG3YG+NC61FFy8NOHQak1ZhMEWO79bwiAfar2euzI=", "gsgLRDaxWvIfKt75RjuvFW==", "i like pie", "o+ADtdMd8ubzNWurS6jt0Q=="},
		{"aes128 empty", "St1tFCor7vQEJNug/465dQ==", "oLjkfrLIOnK2bDRvW4kXYA==", "", "OGQjp6mK1a3fs9k9Ml4L3w=="},
		{"aes128 full extra block", "St1tFCor7vQEJNug/465dQ==", "oLjkfrLIOnK2bDRvW4kXYA==", "1234567890123456", "V6aaOZw8pWlYkoIHNkhsP1JOIQF87E2vTUvBUQnyV04="},
		{"aes128 utf8", "St1tFCor7vQEJNug/465dQ==", "oLjkfrLIOnK2bDRvW4kXYA==", string([]rune{355, 277, 349, 357, 533, 537, 101, 345, 185}), "Pj4ixByXoH3SU3JkOXaEKPgwRAWplAWFLQZkpJd5Kr4="},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key, iv := mustB64(t, c.key), mustB64(t, c.iv)
			ct, err := cbcEncrypt(key, iv, []byte(c.plain))
			if err != nil {
				t.Fatal(err)
			}
			if got := base64.StdEncoding.EncodeToString(ct); got != c.ct {
				t.Errorf("ciphertext = %s, want %s", got, c.ct)
			}
			plain, err := cbcDecrypt(key, iv, ct)
			if err != nil || string(plain) != c.plain {
				t.Errorf("decrypt = %q, %v", plain, err)
			}
		})
	}
}

func TestDecryptRejects(t *testing.T) {
	kb, err := NewKeyBundle()
	if err != nil {
		t.Fatal(err)
	}
	good, err := SealRecord(kb, Record{ID: "abcdefghijkl", VCard: "BEGIN:VCARD\r\nEND:VCARD\r\n"})
	if err != nil {
		t.Fatal(err)
	}
	var env envelope
	if err := json.Unmarshal([]byte(good), &env); err != nil {
		t.Fatal(err)
	}
	flip := func(s string) string {
		b := []byte(s)
		if b[5] == 'A' {
			b[5] = 'B'
		} else {
			b[5] = 'A'
		}
		return string(b)
	}
	other, _ := NewKeyBundle()
	cases := []struct {
		name    string
		kb      KeyBundle
		id      string
		payload string
		want    error
	}{
		{"flipped ciphertext character", kb, "abcdefghijkl", sealed(flip(env.Ciphertext), env.IV, env.HMAC), ErrHMACMismatch},
		{"wrong key", other, "abcdefghijkl", good, ErrHMACMismatch},
		{"flipped hmac", kb, "abcdefghijkl", sealed(env.Ciphertext, env.IV, strings.Repeat("0", 64)), ErrHMACMismatch},
		{"record moved to another id", kb, "zzzzzzzzzzzz", good, ErrIDMismatch},
		{"not json", kb, "abcdefghijkl", "{", ErrMalformedPayload},
		{"missing hmac", kb, "abcdefghijkl", sealed(env.Ciphertext, env.IV, ""), ErrMalformedPayload},
		{"short hmac", kb, "abcdefghijkl", sealed(env.Ciphertext, env.IV, "abcd"), ErrMalformedPayload},
		{"ciphertext not base64", kb, "abcdefghijkl", sealed("!!!!", env.IV, env.HMAC), ErrMalformedPayload},
		{"empty payload", kb, "abcdefghijkl", "", ErrMalformedPayload},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.kb.Decrypt(c.id, c.payload)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.id) {
				t.Errorf("error %q does not name the record id", err)
			}
			if _, err := OpenRecord(c.kb, c.id, c.payload); !errors.Is(err, c.want) {
				t.Errorf("OpenRecord err = %v, want %v", err, c.want)
			}
		})
	}
	t.Run("hmac message for a wrong key", func(t *testing.T) {
		_, err := other.Decrypt("abcdefghijkl", good)
		if err == nil || !strings.Contains(err.Error(), "HMAC mismatch: wrong Sync Key or tampered record") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("bad padding after a valid hmac", func(t *testing.T) {
		// A ciphertext whose last block decrypts to invalid padding, with an
		// HMAC that matches it: only possible for the key holder, but it
		// must still be an error, not a panic.
		ct := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
		p := sealed(ct, env.IV, hex.EncodeToString(kb.mac(ct)))
		if _, err := kb.Decrypt("abcdefghijkl", p); !errors.Is(err, ErrMalformedPayload) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestRecordRoundTrip(t *testing.T) {
	kb, _ := NewKeyBundle()
	for _, r := range []Record{
		{ID: "kXJ5pQ0vR2aS", VCard: "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ünïcode ☃\r\nEND:VCARD\r\n"},
		{ID: "kXJ5pQ0vR2aS", Deleted: true},
	} {
		p, err := SealRecord(kb, r)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(p, "VCARD") || strings.Contains(p, "deleted") {
			t.Errorf("payload leaks cleartext: %s", p)
		}
		got, err := OpenRecord(kb, r.ID, p)
		if err != nil || got != r {
			t.Errorf("round trip = %+v, %v; want %+v", got, err, r)
		}
	}
	// Two encryptions of one record differ (fresh IV).
	a, _ := SealRecord(kb, Record{ID: "x", Deleted: true})
	b, _ := SealRecord(kb, Record{ID: "x", Deleted: true})
	if a == b {
		t.Error("two encryptions produced the same payload: IV not random")
	}
}

func TestCollectionKeys(t *testing.T) {
	sk := bytes.Repeat([]byte{42}, 32)
	sb, err := DeriveSyncKeyBundle(sk)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := NewCollectionKeys(ContactsCollection)
	if err != nil {
		t.Fatal(err)
	}
	if ck.For(ContactsCollection) == ck.Default {
		t.Error("contacts collection has no key of its own")
	}
	if ck.For("history") != ck.Default {
		t.Error("unknown collection does not fall back to the default")
	}
	p, err := ck.Seal(sb)
	if err != nil {
		t.Fatal(err)
	}
	back, err := OpenCollectionKeys(sb, p)
	if err != nil {
		t.Fatal(err)
	}
	if back.Default != ck.Default || back.For(ContactsCollection) != ck.For(ContactsCollection) {
		t.Error("keys changed in a seal/open round trip")
	}
	other, _ := DeriveSyncKeyBundle(bytes.Repeat([]byte{43}, 32))
	if _, err := OpenCollectionKeys(other, p); !errors.Is(err, ErrHMACMismatch) {
		t.Errorf("other sync key: err = %v", err)
	}
	// State keys derived under another info string differ from the Sync bundle.
	st, _ := DeriveKeyBundle(sk, "contactbridge/v1/state")
	if st == sb {
		t.Error("state bundle equals sync bundle")
	}
}

func TestGUID(t *testing.T) {
	seen := map[string]bool{}
	// 1/64 of uniform ids would begin with '-'; 5,000 draws miss that with
	// probability below 1e-34 if the guard were gone.
	for range 5000 {
		g, err := NewGUID()
		if err != nil {
			t.Fatal(err)
		}
		if !ValidGUID(g) {
			t.Fatalf("invalid guid %q", g)
		}
		if g[0] == '-' {
			t.Fatalf("guid %q begins with a dash", g)
		}
		if seen[g] {
			t.Fatalf("duplicate guid %q", g)
		}
		seen[g] = true
	}
	for _, bad := range []string{"", "short", "abcdefghijk=", "abcdefghijklm", "abc,efghijkl"} {
		if ValidGUID(bad) {
			t.Errorf("ValidGUID(%q) = true", bad)
		}
	}
}

func TestRecoveryKey(t *testing.T) {
	key := mustHex(t, v3KB)
	rk, err := EncodeRecoveryKey(key)
	if err != nil {
		t.Fatal(err)
	}
	groups := strings.Split(rk, "-")
	if len(groups) != 14 {
		t.Errorf("recovery key %q has %d groups", rk, len(groups))
	}
	cases := []struct {
		name  string
		input string
	}{
		{"as printed", rk},
		{"lower case with spaces", strings.ToLower(strings.ReplaceAll(rk, "-", " "))},
		{"no separators", strings.ReplaceAll(rk, "-", "")},
		{"letter O for zero", strings.ReplaceAll(rk, "0", "O")},
		{"letter l for one", strings.ReplaceAll(rk, "1", "l")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := DecodeRecoveryKey(c.input)
			if err != nil || !bytes.Equal(got, key) {
				t.Errorf("decode = %x, %v", got, err)
			}
		})
	}
	t.Run("every single-character typo is caught", func(t *testing.T) {
		plain := strings.ReplaceAll(rk, "-", "")
		const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
		for i := range plain {
			for _, r := range alphabet {
				if byte(r) == plain[i] {
					continue
				}
				typo := plain[:i] + string(r) + plain[i+1:]
				if got, err := DecodeRecoveryKey(typo); err == nil {
					t.Fatalf("typo at %d accepted: %x", i, got)
				}
			}
		}
	})
	for _, bad := range []string{"", "ABCD", rk + "-AAAA", strings.Replace(rk, rk[:1], "U", 1)} {
		if _, err := DecodeRecoveryKey(bad); err == nil {
			t.Errorf("DecodeRecoveryKey(%q) succeeded", bad)
		}
	}
}

// BenchmarkSealRecord encrypts one ~1 KB contact record.
func BenchmarkSealRecord(b *testing.B) {
	kb, _ := NewKeyBundle()
	r := Record{ID: "kXJ5pQ0vR2aS", VCard: strings.Repeat("X", 1000)}
	b.SetBytes(int64(len(r.VCard)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SealRecord(kb, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenRecord verifies and decrypts one ~1 KB contact record.
func BenchmarkOpenRecord(b *testing.B) {
	kb, _ := NewKeyBundle()
	r := Record{ID: "kXJ5pQ0vR2aS", VCard: strings.Repeat("X", 1000)}
	p, _ := SealRecord(kb, r)
	b.SetBytes(int64(len(r.VCard)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := OpenRecord(kb, r.ID, p); err != nil {
			b.Fatal(err)
		}
	}
}
