package seal

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

// The fuzz targets need the same identity and the same seed envelopes in every process of a
// fuzzing run (the coordinator's seeds are executed by the workers, and age encryption is
// randomised), so both are fixed here: fuzzIdentity was made by Generate for these tests only,
// and the seeds were sealed by it, to its own public key, with Seal, Announce and SealFile
// (the constants are at the end of the file).

// fuzzSeed is one real envelope and what opening it gives.
type fuzzSeed struct {
	raw     []byte
	env     *Envelope
	payload []byte
}

func fuzzSetup(tb testing.TB) (*Identity, []fuzzSeed) {
	tb.Helper()
	id, err := ParseIdentity(fuzzIdentity)
	if err != nil {
		tb.Fatal(err)
	}
	var seeds []fuzzSeed
	for _, raw := range []string{fuzzSeedState, fuzzSeedComment, fuzzSeedRotate} {
		e, err := Unmarshal([]byte(raw))
		if err != nil {
			tb.Fatal(err)
		}
		p, _, err := Open(e, []Public{id.Public()}, id)
		if err != nil {
			tb.Fatalf("seed %s does not open: %v", e.Kind, err)
		}
		seeds = append(seeds, fuzzSeed{raw: []byte(raw), env: e, payload: p})
	}
	return id, seeds
}

// sameSigned tells whether two envelopes have the same signed content: header and ciphertext.
func sameSigned(a, b *Envelope) bool {
	return a.V == b.V && a.Kind == b.Kind && a.ID == b.ID && a.Seq == b.Seq && a.From == b.From && bytes.Equal(a.CT, b.CT)
}

// garbled returns broken variants of an envelope's JSON: truncated, a flipped byte in the
// ciphertext and in the signature, each header field changed, the ciphertext of another envelope.
func garbled(s fuzzSeed, other fuzzSeed) [][]byte {
	raw := s.raw
	out := [][]byte{raw[:len(raw)/2], raw[:len(raw)-1], raw[:len(raw)-40]}
	flip := func(field string) []byte {
		i := bytes.Index(raw, []byte(`"`+field+`":"`))
		b := bytes.Clone(raw)
		j := i + len(field) + 4 + 20
		if b[j] == 'A' {
			b[j] = 'B'
		} else {
			b[j] = 'A'
		}
		return b
	}
	out = append(out, flip("ct"), flip("sig"))
	e := *s.env
	for _, mutate := range []func(*Envelope){
		func(x *Envelope) { x.Seq++ },
		func(x *Envelope) { x.Seq = 0 },
		func(x *Envelope) { x.V = 2 },
		func(x *Envelope) { x.ID += "x" },
		func(x *Envelope) { x.Kind = KindWorklog },
		func(x *Envelope) { x.From = "AAAA-AAAA-AAAA-AAAA" },
		func(x *Envelope) { x.CT = other.env.CT },
		func(x *Envelope) { x.CT = x.CT[:len(x.CT)-1] },
		func(x *Envelope) { x.Sig = nil },
	} {
		x := e
		mutate(&x)
		b, _ := x.Marshal()
		out = append(out, b)
	}
	return out
}

// FuzzEnvelopeOpen: for any input, Unmarshal and Open never panic, every refusal says why (a
// *Error), and Open succeeds only on the signed content of an envelope the identity sealed
// (the fuzzer cannot forge one).
func FuzzEnvelopeOpen(f *testing.F) {
	id, seeds := fuzzSetup(f)
	trusted := []Public{id.Public()}
	for k, s := range seeds {
		f.Add(s.raw)
		for _, g := range garbled(s, seeds[(k+1)%len(seeds)]) {
			f.Add(g)
		}
	}
	for _, s := range []string{"", "{}", "null", "[]", `{"v":1}`, `{"v":1,"ct":"!!"}`, `{"v":1,"from":"ILVW-FJW6-XOUO-VUEU","ct":"","sig":""}`} {
		f.Add([]byte(s))
	}
	next, err := ParsePublic(string(seeds[2].payload))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Unmarshal(b)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || !errors.Is(err, ErrFormat) {
				t.Fatalf("Unmarshal refusal is not a format error: %v", err)
			}
			return
		}
		payload, signer, err := Open(e, trusted, id)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Reason == "" {
				t.Fatalf("Open refused without a reason in words: %v", err)
			}
			return
		}
		var seed *fuzzSeed
		for k := range seeds {
			if sameSigned(e, seeds[k].env) {
				seed = &seeds[k]
			}
		}
		if seed == nil {
			t.Fatalf("Open accepted an envelope the identity never sealed: %+v", e)
		}
		if !bytes.Equal(payload, seed.payload) || signer != id.Public() {
			t.Fatalf("a seed's envelope opened to %q signed by %s, want %q by %s", payload, signer.Fingerprint(), seed.payload, id.Public().Fingerprint())
		}
		if e.Kind == KindRotate {
			k := &Keyring{}
			now := time.Now()
			if err := k.Add(id.Public(), now); err != nil {
				t.Fatal(err)
			}
			got, err := k.AcceptRotation(e, now, time.Hour, id)
			if err != nil || got != next {
				t.Fatalf("the rotation seed announced %v (%v), want %s", got.Fingerprint(), err, next.Fingerprint())
			}
		}
	})
}

// FuzzOpenFile: OpenFile never panics; with the hash of a verified envelope it writes nothing
// unless the file is exactly the sealed one, and with the input's own hash (the age decryption
// reached for any input) it opens only the sealed file, to its plaintext.
func FuzzOpenFile(f *testing.F) {
	id, _ := fuzzSetup(f)
	sealed, err := base64.StdEncoding.DecodeString(fuzzSeedFile)
	if err != nil {
		f.Fatal(err)
	}
	want, err := base64.StdEncoding.DecodeString(fuzzSeedFileSum)
	if err != nil {
		f.Fatal(err)
	}
	var plain bytes.Buffer
	if err := OpenFile(&plain, bytes.NewReader(sealed), want, id); err != nil || plain.String() != fuzzSeedFilePlain {
		f.Fatalf("the seed file does not open: %v %q", err, plain.String())
	}
	for _, own := range []bool{false, true} {
		f.Add(sealed, own)
		f.Add(sealed[:len(sealed)/2], own)
		f.Add(sealed[:len(sealed)-1], own)
		b := bytes.Clone(sealed)
		b[len(b)-5] ^= 1
		f.Add(b, own)
		h := bytes.Clone(sealed)
		h[bytes.IndexByte(h, '\n')+10] ^= 1 // inside the recipient stanza
		f.Add(h, own)
		f.Add([]byte(strings.SplitAfter(string(sealed), "---")[0]), own)
		f.Add([]byte{}, own)
	}
	f.Fuzz(func(t *testing.T, data []byte, ownHash bool) {
		sum := want
		if ownHash {
			h := sha256.Sum256(data)
			sum = h[:]
		}
		var out bytes.Buffer
		err := OpenFile(&out, bytes.NewReader(data), sum, id)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("OpenFile refused without a reason in words: %v", err)
			}
			if !ownHash && out.Len() > 0 {
				t.Fatalf("OpenFile wrote %d bytes of a file whose hash does not match", out.Len())
			}
			return
		}
		if !bytes.Equal(data, sealed) || out.String() != fuzzSeedFilePlain {
			t.Fatalf("OpenFile opened a file that is not the sealed one (%d bytes) to %q", len(data), out.String())
		}
	})
}

// TestFuzzSeedsAreReal checks the fixed seeds: each kind present, signed by fuzzIdentity.
func TestFuzzSeedsAreReal(t *testing.T) {
	id, seeds := fuzzSetup(t)
	kinds := map[string]bool{}
	for _, s := range seeds {
		kinds[s.env.Kind] = true
		if s.env.From != id.Public().Fingerprint() {
			t.Errorf("seed %s signed by %s", s.env.Kind, s.env.From)
		}
	}
	for _, k := range []string{KindState, KindComment, KindRotate} {
		if !kinds[k] {
			t.Errorf("no %s seed", k)
		}
	}
}

// The fixed identity and seeds (see the top of the file): a test identity, it guards nothing.

const fuzzSeedFilePlain = "fuzz seed attachment bytes\n"

const fuzzIdentity = "AIRLOCK-SEAL-IDENTITY-1 AGE-SECRET-KEY-PQ-12D4WCHDERLT4K73LCQN7G9DQ2AMCFLM8UPC3NHVDKLY4VTSZUNXSYJ90C4 C6KJtQrc76tTXEYuG+lMn9cm91Fi57e/naA2PdXTLj8"

const fuzzSeedState = `{"v":1,"kind":"state","id":"op-7Q2ZK","seq":3,"from":"ILVW-FJW6-XOUO-VUEU","ct":"YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IG1sa2VtNzY4eDI1NTE5IGJNVDFQOGd2ZzJ1WVd5cTlGU2w1b2dUNmYvM2pSaGRoaDZKTGMwUkZaWmcrVUZxQ3QxbVpyNVF1NWZqd2JZYll4RDlqanNnNWVOS2QzclB4aWpaWHdPZmtFZmlQUTFUTWVyTlZNb0NuVmlsTzZtZUVzUnJEMTRuVGZtVmphN3JNRmJ4Qm9zODI3VStVTE1ZVWJZZjQyNUNhYlpGbjk1bG1JL3VONTBBOXBPb3RIM0kwWlN5NzUwUlE4bHA0Q3dRcHJsS1VrdTNtNDVDSzRBVEhNV3lqWGFWMmlQV2Rud0VOSFZCVGhzSlcvL3hkQktBdXhpejI5dG02bjYzNVZBRDAzbWJraHY5OEYzOW01ZmEzK0dVSzN6ZTdOMXVlRFdRb3hmQzBOSjhQL0hoSmJiN2pVNVVFemJENDNvSHJiallNVHJWeFNDYkRjYWlrY1oreCtFcCtXUm9ydGFJUTVxT2xQVHdMUFBELzJGQjFKajY2d3pQMk0ybEIrN0hiQVl4SlRYeG5EeHZPdm5LY21QOEJkTzl0ZnJlOEZkZ3ltR3oyQnZ3cHlmM1BRanBOenBmc0hjV3BIdGtMUWpMZGhBMmJON0JkWnY3aGp3c1JOS2lneVFLVXcwSEh5bTdmTVVBaHVjRE9MYUdhZi9TQStSR0hlVzVIbTRlckxHM2dvK3FPZldFYkUva2RzZFRsZExkS1liUTZKZEM3YWJxT3lSam8rZWVwbGdaRW5pVmRNV0dyYmQ4cTNMNERDYmdGajUzTHN4S1pWcXRUL0tMY09EajFFNzQ3WElOeHJLMCtWei9aVjVRSnpRZzFLYXNmc2EzSG5lQWEvOFBEZlBmb0psekc5TVoyNmMvVkRQdVdYNDhSL05tdnhLenBhQllGN20rS1pxdDZ6ck9OUzJwTi9peEJTckVwSFlyYnBybncwa3NiODhVR3NqaStDZTRsc09MRVBGUXp3UjZza2VjZ2JQeS9Ucjl4cmFXQ050dHpQOHNxYU45dk9mdngxdDhYeUl4UG9QMTlRTW4xTWwvRDdXbmk1T1Z0OUdyTGpqV1dSYUNhMUpzSjAyeW5VTmtHcURTcDE4QWR0dE56bmFvU2hEcGlvMHZnc2pTQ0pkbGlKZ3daOGJTMjh1amVNN1ZtUUpOVjdKRThYUkFVSFdUcWNtZHdHOGF0cnYrSGxNRm5zODN5bHlEb0IzNW44cWZ5cGY4bTNBci9WZ1kwbjRLWHNOS2ZWWnQ1TVg3L1B1N0puMU0xQ2o0QVhJV0tpaFFzK1ZpVzAxNjg5WTZlNnhlL0JhWS9sTndCcHIvQjNwd0dTVFd6N09Oc0FHS283N2N6YzlkSUp4QUtRVGJHa2JOaE9paDFKWmJuOFdaZjFLU2lDRm1ORjZST09hMGMrOWtaeWJwOWEwY0tWQ1lIeE1Ia25oSDREeDdKL1dTTnlJNDlmbzZhK3B5ZDRPUXg3V29HZlBwTEN0RmI1elNEOXgzTjREOTJQaGVlWGhKdGNvd2VZWEc2dnUweGExOWw2cWlQTmtKTUVJYjE0THdRMEQrYVZSN1VDVTd3cGNXNFRkeVpHNW8xSzdJQTdJSHloNGxwVEx2WWsza2JvdlBXL0hYcExSL2pCWEd5aW1wQnRKR2t3blpzNFRaaEJ5Zk9PbWMyMEZIdER6d2s5ZkhnbGxRNnIrQWZsZldtaTVHVW10M0RCaDdWb3ZheFFqYjdkbncybFd6c2cvUjZvWkxFRTlWdUFpdG42dUVXYldDMkZ2NXllZXY4bFhMZURuRkVyT2RlVkkzc01SQnllcUx2Zlc0cmxTSWViZVh2bVc5bUcxZ1J2aEpoZzdFL2U4cHNyQ0tMRVFwR0xIZkZmNzBrbmhNdUg2Y3lZUy8zTS9DNnZvZGdHTzZmSWlBYzdld1VIK1VTakdKK3FBUjdzWFZWZlR3bVZqK2IySWNGcU0rWWw3M2YvM1Z4SzhaODNqc0x0a3plVVB3MjNVUWFNUQpDeFZXYzFHcFkvSE5aTmdOL1E5Y3pwN1M1bXJPMEEwdUZaZVZhcHkzMC9RCi0tLSBrVTIyejJ6d0RjbzRwQUo5RkQ4bmR2SE1ndjJxWFVtbmRiWjJ4K09sMUR3Cs6y8c9l+5XfX4DGoR7eFqYD8PdyNDuaHDmr7hpZqmRTZ7G2c7zz6blMq/HA1RqcMYuR0F+01iW89zQaBWk3EvagpwRPUWM6JHtNiJXe83g4nmRYSZQnYps8F/N4A7A8c9INBRdmg5d3T0s7oPRNbTn2eLZn4l3aRhZC+nrSzq19xflS9Yb24ElgINbtp6aA0LA5kQobKa1Lp3KAML33QskqHv/PLukRwDmzV1YHgrvE+heIYsAVfBA6bWs64EYxbmDQmsstcPxDInKaA9oAgRpFd2UYBrO3iKki95ndcCy3ggY8VJ5fKwPYX5XsE9Be/v4WaNlqoSFh4UWfptr3268tLBdZGZzDut/fYk2BrqVIzM+bC5grICkZgSgtxfnkCw==","sig":"HJ+qozB2LdVyVyGb3uORJCB18HDKPz0lJp8kLqXxXFQiiVyKIsQZ3p/m8tv/zdS33NhBtCxGX2t/ICoo6DU2DQ=="}`

const fuzzSeedComment = `{"v":1,"kind":"comment","id":"op-7Q2ZK.c-1","seq":1,"from":"ILVW-FJW6-XOUO-VUEU","ct":"YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IG1sa2VtNzY4eDI1NTE5IGFiN0hISVNCRnNZMGhMOFdCWXdRNWg5d1ZuU2RPSCszV21YMW12aHNSSlhXRDVnZXVGTk9SSEttUW8wcmRyZDJRdDFzS21TYWRLL29pRGlrVWJZRW8vNk00Wml0MWdQRkRqMW9ianZNSDRwOG1odzVpcitNVGR4b2ZBSkpUVkNka2UwZitpcGFVQmZaT0Z4ek5zRlhQYksydUUwUnVVbWV3aVJadUdCMnBZMDhNbHgvd2gxb2lPRU0xVTRtZENUNDJZUitieUlXSkhBWmtQdmhMYUtvSU54WmVKSXU1YnpDYTAybm91amgwUFpVQWRpeHhPYkQzM240d2M0cnRSNm03MjZOazFKTk5mK1NhRStkWDJ3cU1xUUVqaGpNczV4UE9CUFVLUEVtc3E0M0x3R1lsS3k5QmhYK0w1VXR2bXMvN29HejhGcFo4eVZkMm9TKzNSS2NYOHVycGZwN0VtOXMwRGo3U2ZsUU1Eclo1QjhZL2dGY0NxbTBjQjNLNFVGclR5aWloV1VlTkI3VXlpVmUrb2ZGb3ZVSHlLZFFFTXpEb0dZcjhYWU9OcUhQUzFOTmFXaVZ4QW1TVGwvT0E1VHd0NUcwcWo1Qk50SDhOcWRBb1JaODJmZVlnNDBVMVJZM2IrSlludG5ZMlQ5YVI2cG9OTXJmTjlmOEFuMGV2V2hVYkpGR1p3SlN2UXdtRmVlTEtKY2Zuelp2NnIwUDlFOWNFWW1UN3YrM29ReVRobGdRdG9zTUVabE9SSTA3Um8za2hTR2tGYWpKL1IvdWhzZUltSDM5VldzNmVDTnV0RDFxRDIxYTk0dit0RjNoVFVuOTNPaXgvUXA0YjE4R3haVEVRYk9IUDVQaUVVdHI5VVJqSjczN1FrQ2VhczhWaHhlLzhaMmdxREM4L29WWElFMllaT05tZ0dkMWt3MS9YbHFxYXRHUXlqWlFsZDFFRE1vSlViVy9kOGt6aE15ajh3ejZsRDBDVzNQbkNwK3JOTTVtaUJkQVJRTUgrSDZwQVQzaFh0RTJvT3hYZVRZaUVhcEtERHM0d1pFQmp0UHcxMGhlY1RST1I2UGhIZFNuZ2lJR3VZUzJzUjhnNVJXUS9RVXplTkFaLzdDcnJZY1hnQXorYkY4UHBDM3BEM3ZUZE12cTFTZWFDTHh4cWtLN01keTdubHZabTNya2xyVWU5cGV6QlgyQnVreS9qbTJSdERsbnVSS003d0FocmxEK3dQTndlQmZ5OTZQcDc3d3JOeEFoemN2aFBKVWpsUXdhZm1xVndQaFN5K0F6QklGRVAzRlV5bWxmeFBWZEFIUWlqNkY1cTFYa1p5azRSZjhJYzU1UlZDMWV0RzZyY1ZkWEtZcDY5VUdJKy85b2FhMHFsWk55Z1hSNnR4TVhWcVBFWDVWcTU3NERhdGg2dGVTNzBaN1hHejI3VTVvRWlTV21wUXlLQjdCQ1ZselJJK1NyQnV2RTR0NDIyWXRLMXdaNGVkc2NwSkpubFJISWE1SHl0Y0k0Vm5wZEZCWitkd3l4N2NmOGtadjM0MzBFTE5GUWpReGZqSWRGSGhET29yS2YvRHZWckd4Y0xObzB4WUx2dkZITWdyR1FNbWV3ZTVGNEYyS2ZjdS9jQzVINEtIVVlpcTh0Y014d3hUVkFZaXdoMmRpMThBM2FaMDc5Q1FpVHlXVlJFSUhNV3VRb2VLR21haWFlOW96RHF1WmZ4UnkwdDZYQVc0R2FGNndyZGxLUUxHV09ucFRSNDdGbEJhSVV4SVAzUDBOelZ4bU1DTStxakEwT29sVjJlZVpOYjFGS3IyUmZXdUFYL1I3ZkgrN1JqY1hPWU0rN2lGa2xsOGFGTDRnM1RZa0ZSb2ZodmNwR25XS096M3ZUdTVSQWtFdWRMcjd3UUM3dmkvMmNGNmZHNEc4TEFTVDRIbW1OejBTU0ptdmppMVY3VjF2TEoxZWhoaUl4Z204WFpEUW5aL0lrMUhpTCtLajRUQQpVSXdjZm5JeE5HSmNMT1F2SjBiU0QzZmpmQTFZUVpnRHRWY0Zwb09jMkZ3Ci0tLSA2ZXpaSVpKa2ZscWNvc0ZmS3FaRm9WR1g4K29HUW44bHhGZTJxOGEwOTEwCh+Ujq2Bh0EaI1x9D/gYPjn6/izXEG3FSSpMJNe7ynm5jdh557gc0dVpDln5bTIDypBesYWSuFqbAjPMNa5Zk835pU1gwPslDqh+oiS2sIBrat/UMiLmiR8TivbNysAwBqkous73t/mitEj9jbxRLMqvdMptlP99DmfDrAI/DuXrYF/D26K1wUKwDnhodKVH5UDxk51dlriY5FyIih4Btu4DiEsx/bNyw+KlVrbDdDmDBRcUdQN5LEeW/OUApu/JzUgaps+wRjWwilz5J6pmKzx+elN+hcQ+t8SvNCsmC51zZOmp8FkB61Ha6cbJwQwWjGrMeRE+vwmvymLpDuZ+8R4ccsbd1r+fLMnbxG4bPnkPl7J6S5uVKl4T+0ikT2tvDg==","sig":"eRm+yQVcJOXfozIvdeSrUeDSww/Bh4cLzSBqGQD/fmLkttYDfSOf45cGQxWpdazt/f9AjjGisu9WnsR7xKX7CA=="}`

const fuzzSeedRotate = `{"v":1,"kind":"rotate","id":"rotation","seq":4,"from":"ILVW-FJW6-XOUO-VUEU","ct":"YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IG1sa2VtNzY4eDI1NTE5IDJLZUp5cStFbmMzbDRkS1BYdGlsZjg5NVYzamt2VW9idWlybHBiSnRIcXVBdXR2ZHhDYzk2VHZnL1cvL0JsQ1JDSG5pRDRNN3JZSXdBMEZxWVlIQXRkU0NiZjNBbVdNQlJsWGpHVGRiY1lSR0ZLQUlmUTJtYy9ZaityZnhGWlB3UmYyMWpYQkFWVkpUdDlRNG1rZlBFYVFPKy9JZ1RTU2hMNGRrdktJb09weTZFeEIzblNlYmxVVXAxQ1VabGRqcDBxbVB6RU1EU0JiTGQvRVByVUV5THJ6K285V3pHOUtVRDRGL1I5OVBYUjlOempsSkF2SGNXMXhEeUhxUDhnRHZTdFFncWdHbUFFaUxjblVQZEtSUitDT01BSHZBUW55NXZ2cHMvQ3kxY3hDWEVLMkNpbEpnemhwdGxCNFRIZi8rVjRRNW5ud281YnBxU2FNK2x1aG1QU3Y3cGZyV2RJbWJtb2ozSUxQendtVzkvUUZlZGtRbHNDa3BoeWYyM1RwK2dPWE1jbUd1cEJ5WFhudFhkd0llMllZa1Z5a2M1bStSSVhtMXdBVnc0bGpoVFdiTE5HN1FlcE5IUW41WjZmQ3JJZ2d2a2UvSmp3WDBDSlpOOUEvNGRZaUZYajBBalhFS2Z1MCtqRXRaaDE3U0h1cXpSdGJZdndMd0xQOCthclNMRzZDYnhITW01YlNzYk1NOHhoK0d4TWZwV0JQVkQwVjQ4azVTWjE5U1BsZzNzdUh1cVVEZVdHRitCOEpuZGhmSGY1ZmlrZmlqeVJheWJMc0RCY09ERGlzU0ltOVVCWmhkNCtIeU8rYzYyQ0psV2JQMW5hZVh5L0Z5MXdFajJ1SHE4clJ2Qmh2d3dpcG9HMDFQMmpIcnJsbWI2VTAyOUVQK3V5RkMyNGxXL3NEaC9WWWpVOXpJc0FhZnJqeDcyZUpYZ3Fpd3lrSHIyQm5aT0F5ZFd5N3g5aTVXY2l1amVyTXF1SU1XUWRtTkNIRTFZYXM4OGxyczhtdUIva2xIOHhxRmppYTN6Rko4eTA3ZXZYM0ZrS2h6cDk4VjdlWno4S3ZnSTNudXMyN3c5U3Z0TDI1am1oOTJ5OUxqR2YvWjFzYUFQaUdxbEhxcTd1VTV4RkVIQWpDNC9MRmhrbmFoMkRZZWdoU1NBOXE4TU43RklNd3ptcVJkQVBrMGNEaEoyaHF1SFNwU1lZOWdQNktxdXVPd3VJSTU0cFp1ZkpNMjRJTFVCQkZUdjFkL25yWlRxZWQwR2w1bFp0d0pwRVptRldDNDdEVEFSRmZ4MEFrZUh2bGV4SmxHaWRHcHJvbE1QQ293TVZUdnNmQUo5MlYvZFFBY293WlJBdGFjSS82VDhpVTVXUUlxcDBrWm5YY2VPT2RPNVJDNElsRkFNOHNBZGs2QjFOVENieGtrM1AvVWJhcHVwWS9pZmtZNGp6bitIa2xUZDZCN1ovOXFhQy9VSGFZanZiZ25Vd1o3Z0pFK3pvdnU2TFBYNnpKZWUxNFZZeHBiWGh4UTdZVTByc2R5RU1qM1E4RTR0UFpTUzdmRTZNNzBacVY5MXpQWTRUWjMvaXhhNDVmSktSOFkvb1JwTlhxWGhVS3crOGpQOVBWUUdGaHhSWUk0ZEk1N2JvckJZVFpPbTNaVWRmUUhPVmhiL3I5ZHFmdUx5TVgyanhHakR4dWFXeUFTL2R6akprdlNCZFhtekdzeEd5UFdlNW0xeWhvOHk2cTd1aURYT1VQUlJEM0dZL2JWREordnhYU0RrMU1KVUJ4TmRqUnhGblBpakI1M1FlektLdThpRWlnL2NsTXkyYWNOT0l6UC9PYk55WWVrTWIrcFlCQ21WVllwajJqUTErRkdpSUh0Nm1qdnBqaEdNODRQRVpLbFVRanViemVENlRmR0hac2NtRGdRWVhsL2dSR0ZTT2NaZlZHMVJyNTlROWJTVlZZQVJCczJ0dUgwSlFweGQ2QURJaEZ1UGdQVGtFbGRKUQp2V09xR2F1M1RzdUtVVFFDYnltUWxQMGJMYUdGZWNPbzNkNk1aQ0h0RzNnCi0tLSBDc3h0N3BvU05WWC9ZUDJvSXBRNnVrU3l6RW9QWHUyNjZIVHFyVDhrOEFNChzIfi6RA2uCFbnM6v0A5D2mhYIPl2YSbr9go+HlZd5Pfd0gbJEmSOlfcse9VIROZnQisCmrYrXoPhVUtX+eQxbkMSGw8szux8dehiVmC3Q6QmOiVWD5fA44PN1vXNtI/5X+VX6ZnB61oLuSvgf+BQV1CrFVzcf4neJYV+EMZJqgS9P4zXNpXR48JeaYorpEYRMIupj528stpAUulTDR3JnJGhnEZIijR9wj6zFAz4tzNVjFCx1x+ujPYD8Fz89JDSV1e43wMXNYxwJPHn3tMmE4eS/QAS1QD5GUivY15YsrAriPiFWdxwNO+5BlJ2gdfK+p84FWMm2ai8jhxaBTgilxrDEzvri8KLqt6xgex9S3lfi2/yv6QHkieJoaRcscueC6ZbQayQhGwjG/9xxLy/Emvb0A96WMMV0byDewI8clxGHCuG/fmOlZNKHGRtE5bYHdnqrdf6s00nK7q30nf0ekWUfEd0yCtI5tVPBXB0tdKdH7TKxSMPjA1Jv5AlzpJMplHWE2XcjIgoLEGcqvlolUFwg5dnxibDizZXFL9mYcMy91K1PnwNYogCcGzDNI5wsJMH9Dr5OCPHFapoRLKKNqw+kDnef9PyVDefn15Hd25tevpfxKNsS69yUTrSW/lxhPzyxfz2ai6xzFURVw0ZwOsqHzUIQCBdxSljyfGn7etgMlER89/56nZKXavKD3bnrkU4yBojNiSmE4KsmEs0XZnsm7x+3mgtPF1uZdm4EldOlGbxNKjyuoi2XO3t8eu8uJLROySa6H5tjckAUjHGKw7A5ZMwffT9Rf94s6QiUywXyLhIb+OVLAnapR6yK+rJEMf/1iyiJpB3VHYyzEdU+1S5XCmSswgAK3KWNCU8vTYCBlNwczICo+3A83eZmuqmhKIg5lBLS1eajXzGyMOWUjWv8xP2YSTKutLhN51If9gf7scYMRKIlCbwQRD4v+InIHgUVxfD5mvRqkK3ceefMdltMIKJLPaBt0Qeof83UYYhJoqiE5GeWij3tm4vKgH3Q4MNOYdlQd84CTtUzR196Ei5JDNnX/qQAI15wqsAolQhUDOTOXhej/lLyATFx04lV+tLYyQX8kYHEEbtkAfZiH1uuc3BYuqQkX1FtoHdQ4hjoiZBiL7+v3vI/9JWbBbsDyee5PJfr+Jdfr5W9slDCAUHaMXR5oVJTXL1lPCmD1BCZgmSceYoN59eM+mCPQyEfSZWZ1WUBU5ZnxZbYWToQ9t3MiSjzMy346yjqudY9RrrVtjA6bD0FAZI3U6Rg2NsZdyeXo1obtGArQ3oXi41K7RtMB7wAdemWusCGqfmFvIh7sF+FEB2ryk5NU16NN/EDK8jTCk4V6UvSrbu4R2j/2CF8PhOYC1ebu2yzWY6IBQqUjT0D6SZPlZhByIj9DKeFAu8Ji7qu69bI929Cr5TkolXZP9bRkDUAx2URsVsvgVmxyTQyksSUMRHzongD1rjBK9CKqvPTRau+bV/fp9R7ehpthSKJLJjTvQiuAbzSG1roubgWZdD/JTl4zq9gGvLazc5U7svXrlgkkjq+Kab9s/cZ0h0eOVY8zeJUKBMVx0SR2UB3ZCk+M08+4Ts8rB5Bm0f1QSMEdjjhSPCQhNRLp8crGP57pvIiGdtN8lzrLWZdppJwwy3wlwIg3LeCBSeUQ+DERiJQTLsfILQzOzdIfDa1un656S1sZ4Aj6ezddf6p5nlj+0om7igdJZbcKiwQo/Nj9S7trzRu7pltqWjebMl9h3uh6eWxXRwNEPXRsYsOhSCQ7FqxzKbOMF9ckRRnmE662fGRnbXrI7LT82Z7LyfSMsRwgRxGgk5Qrjiqd/w5Y/yhbxf2a/RL3V5FW+yVmQ2slOtCWqKTf0kGRVoyHghCl0YV4FN/+lxRNEG4unlv7MBznlsfEx9ha5LFkHa33yOCV4A40I6HzfV1+ebfG6iSXrc/OwbOVqRFjhUxdrxmZHS+G/qqzSmapYpFEMGxZu9KcqHA1VIRKMsQ23gnpWFjj+tCKPOLpRSYMzQy1JSC/cMunOnTDVaruJF05xTYKBHWo95tq8TNjBJZ4QzBa975MVEBr4ZBor2yPQJFV9euEiKb4I0Br5I43ssSE2rN8fKIUS7TOWGTWJ57G4/mADT6ZdDb5duqfBYOpzamVDcc+oWQfr8cdYTh08OzaGuioXGeXhwELSZ+aKbbPKjaS371ff7GGSdlfXIbt4C/pJcia3rVCEIyaFpBFqR5EdFy+HeI3RHdWO1RNsYtTBo3ypgDoNfCeLlNjY/IxJ4B56+ABevPUrGpuCfa4GX3cW7Xyh5vgu3v3byNnfKMqn5lqN+Lr/LnXzFEoSujAh5xcAhh7yqeXgtwIBoUnlOrxzpcjOkRn40DgSu5Hs9MxCdZj1UJq1ctMsmCFhbPTkugdVTAqXL9PNUKk/WBgHP/ZQcpMkG7uXDILF1GCbHFvO78P4ej+UbO4FEjsqaE9MKT+sRH+so1wo9aDN+cdyLfqxFoDTAV3uPMbpA2/HVwSgnbD6e6/PHXAr1L51gUa2p+9pAVgOawQuxGl/ZY19k1Ce9trbDKmcO2+BlfBWKpjnVomg0313rWapVJOg1dUw4bLATq1FXgBXUiKvA4lS7CzUOewFO4RkPeLuaBsMA9KMkNoWcdbaNkJrikfPP4YmbylcppAESYKTaMgFREEpCCfJbz3JRApB7tLSthJroD20MV8h0ksgIJi/NkyZTCuk4HxNNpN0sgnOYI1ille1vg1nTK7CYEgWIywHoDaqDn6qfU=","sig":"wjZWRNBis9bfTGy7C4litJm4is+dzsnK0xpoB7xK87RqNg8dAA5QXTjDsVuAS1Gh7+YTKfWp7F4kQZSVySQdDw=="}`

const fuzzSeedFile = "YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IG1sa2VtNzY4eDI1NTE5IDBzandNWFNEa1JwTVJFWXZlNGMreEc5dndiMno3c3VFaE5va2VZT2tGRDZiTzJyRkF4L2QzYmVObHM4cVhjSys2dHR3eDdQcGRPT0F4N1lnakJtcjgvekJvOWdVWXU3VUtZVmROVXFJQ2tVQWJHTTVIdnFUdlRqZDcvd3ZrMU5sNzJCUEVzamhWNjc1eU1KdXpzSXFBcmh1QUhQT1B0ZDgreTZWRDhYeGhQNE5QRzZJcGpESElKdHZHREF6TFY1bUF1YW9qM1dMdnFreUo3ZzhXUmd4RHpGZm1wVW5MMk1YL3AwbWNCZDdWUXRBeWl0em0wbnY5S3dRWHBBdWRDVTVMRlBPUklZZFhlejNYOFMyK2haK2lhMGt4c2NXSHUwWHZwYW5JeHlYdlgxSmNSV3E3aSs1MVNRYmJJQ3BQSzQ3dXdjbDA4c2paTEsrNVJoNEhtQnNsRTEzYVZwVXFLQnBUVk1iaC8zZm5sSkF3MTZjbkcwcEtrSlFiaEptRXpuL2doKzcrM0x3bndTenBiTmdlWmFqZ0wwcm42MldHekxXUXg1TTc2a0ExVUlHQkxTbFIyV2xhdWRGQ1I2dmFLWFNXR0I5QTgyUERjWXp4blpZNXFLeHdSbFBwOHVnTWpRQVlzZVdSUGhiQzNtVTd2bWRmYXRKT1pBZTk4K1NlMENsOE15UTM5ZUhmeC9qeTVkWkhkZk43ODVOZW1BcXc5NmxuMktxVy8wVlc2NFVkSVZxcnNIWGNFZnN3ZWNaRWdQV2cyVGtIMHZqTllZWTB3UTNkbUljQ1Y3OHY3YWNOVklwMVhZZUJuL2E5dWF2NStLWGVpZ1MvWUhxQVlBZEZVSXJVb1RCbE5oNnc5V1FSLy9BN1JOSFRGQ2tKS1hER2R6SXl3OFZjcmUvcVZ4eDZwc2xXeUhYNVVYandiT0hUdWpjRlg1YlpmMXVVY1dFZEJtUWllY2RvTFRiVGw0bFFqUStpZDJlaVdPUi84OUZnMC85RnBvcm95d05aaWhtUU9jZjlQU1pMSHQ1QnQ5ZnBZblBSSUlhS1g3c1k0UWg2MzRsa1U4cjE5RHFoUTdhUWFtS2ZhYWdRV0RwU2dRNEJNK09uNUxMUHFkRVpSN2VWR2tVc3ZOSjFONjhuSVhIS0RrL1BTZEdheml4T21BcVRlY3FkRk9uYUJXTi9TSng4d01RVVZmcVRHbDcrSmU0T1BkSzNuMndpSFZqMDNMVlRQVWxQdENPR2ZjOGJjNHlOTFVDOVF2N3dLcXBETmIzVXVvN2VYNC9DaEpUMGg3VTV3TEZFTVh1NCtIM1ozWHl0THowVUc3Y1BsUUVWNGFRQk5UZmxKTm1oNUt4RHJENlRzdmFReGFIUGpKNFRPOWFsdStDeWdRb3M0dnJITHh4bndHNDE4bVdWRmlXOTM0d1hLWG9rY25yYUNOS3V0a2JhUVEwZ3paMlJiZGJTcy9WM1JSemk2ckRYbVRGRWUvNnVGQUlLMWtQbERuaW0wWnk5TzlzeGhaZjcxZ1pZTHRZZTZRQ2RmT0JrK3BnaWpid0Rpc3RadkZFZGxTc1RGcWdlSTV3c3Rmb3ZmOTZQT05PZk9CNXF6Nlk4YUo4MVBjWUJlaEV1dnhwbjhKejRjYTRCUXFsanIrNGNxdklsNTg3bzlGS3hkYnl6QlExMzBWNmN2d1RQcVdVSlJQZTdZc3VuR2hBT1NKZGdvTVowOWpic0ZkNlM4Q2JMWnpVS0Y1VkVZV3UxNWJCUWFNYWhZVTc3Z3Jlb1lyTmw4Zk8xS2t3VU1DdTBxbzhiYUEva0E4NjF4SFFWRGlHSWtzKzQyeVp3Nnpobk1yN2o4TlJXZGoxbFcwT2s2dWYrc3h4NzdEWXRiblN5WC90azJWMGQxUHFWVFZmMkozRklRekZDV1ZhbTYzTzEwTm55WWpVZzlLeVZTa1E2S1AxN3lodkd5cldQSzhxZy9VODM4QnVhUWgzZWp3QzdhdWxRdwpzbzJkeW96Ti9ZS0VsUU9EMlQwSU4xNXZGdmRRcnEvYWhkL3ZGdThNUXJNCi0tLSBiTDBmcm43NitaQVhpQU9acGpqeUpiVCtJc01DOXhBNEF6bjJiNS85M0ZjCtCvlk69Hb2n+8842XyXGOJPHQ5aRj/PMttkYyr71MDqSMTiE21NgUeQkwW1iBiZr6z8MN24QxsfgS41"

const fuzzSeedFileSum = "1mMLJl86CSPUVLYzR96HUqyQLDoAlxWTmRLr4iWzeIQ="
