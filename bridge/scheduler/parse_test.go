package scheduler

import (
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zone tests must not depend on the machine's zoneinfo
)

func TestParse(t *testing.T) {
	lowMin := ParseOptions{MinInterval: time.Second}
	tests := []struct {
		name    string
		spec    string
		opts    ParseOptions
		wantErr string // "" accepts
	}{
		{name: "five fields", spec: "30 3 * * *"},
		{name: "five fields with ranges and steps", spec: "*/15 8-18 * * 1-5"},
		{name: "extra whitespace", spec: "  0  3 * * *  "},
		{name: "CRON_TZ prefix", spec: "CRON_TZ=Europe/Berlin 30 3 * * *"},
		{name: "TZ prefix", spec: "TZ=UTC 0 * * * *"},
		{name: "CRON_TZ prefix with descriptor", spec: "CRON_TZ=Europe/Berlin @daily"},
		{name: "hourly", spec: "@hourly"},
		{name: "daily", spec: "@daily"},
		{name: "every 10m", spec: "@every 10m"},
		{name: "every 1m at the default minimum", spec: "@every 1m"},
		{name: "every 1s with a lower minimum", spec: "@every 1s", opts: lowMin},
		{name: "29 February fires in a leap year", spec: "0 0 29 2 *"},

		{name: "every 1s below the default minimum", spec: "@every 1s",
			wantErr: `schedule "@every 1s": @every interval 1s is shorter than the minimum 1m0s`},
		{name: "every 30s below a configured minimum", spec: "@every 30s", opts: ParseOptions{MinInterval: time.Hour},
			wantErr: "shorter than the minimum 1h0m0s"},
		{name: "every 0s", spec: "@every 0s", opts: lowMin, wantErr: "@every interval must be positive"},
		{name: "every negative", spec: "@every -5m", opts: lowMin, wantErr: "@every interval must be positive"},
		{name: "every fraction of a second", spec: "@every 1500ms", opts: lowMin,
			wantErr: "@every interval 1.5s is not a whole number of seconds"},
		{name: "every garbage", spec: "@every often", wantErr: `schedule "@every often": failed to parse duration`},
		{name: "CRON_TZ= alone", spec: "CRON_TZ=", wantErr: "time zone prefix must be followed by a space and a schedule"},
		{name: "TZ=UTC without schedule", spec: "TZ=UTC", wantErr: "time zone prefix must be followed by a space and a schedule"},
		{name: "TZ=0", spec: "TZ=0", wantErr: "time zone prefix must be followed by a space and a schedule"},
		{name: "empty zone", spec: "CRON_TZ= 0 * * * *", wantErr: `empty time zone in "CRON_TZ="`},
		{name: "unknown zone", spec: "CRON_TZ=Mars/Olympus_Mons 0 * * * *", wantErr: `unknown time zone "Mars/Olympus_Mons"`},
		{name: "30 February never fires", spec: "0 0 30 2 *", wantErr: `schedule "0 0 30 2 *" never fires`},
		{name: "31 April never fires", spec: "0 0 31 4 *", wantErr: `schedule "0 0 31 4 *" never fires`},
		{name: "garbage", spec: "garbage", wantErr: `schedule "garbage": expected exactly 5 fields, found 1: [garbage]`},
		{name: "six fields", spec: "0 0 3 * * *", wantErr: "expected exactly 5 fields, found 6"},
		{name: "four fields", spec: "0 3 * *", wantErr: "expected exactly 5 fields, found 4"},
		{name: "minute out of range", spec: "61 * * * *", wantErr: "above maximum (59)"},
		{name: "unknown descriptor", spec: "@fortnightly", wantErr: "unrecognized descriptor"},
		{name: "empty", spec: "", wantErr: `schedule "" is empty`},
		{name: "blank", spec: "   ", wantErr: `schedule "   " is empty`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Now = epoch()
			sched, err := Parse(tt.spec, tt.opts)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Parse(%q) = %v, want no error", tt.spec, err)
				}
				if next(sched, epoch()).IsZero() {
					t.Fatalf("Parse(%q) returned a schedule that never fires", tt.spec)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want error containing %q", tt.spec, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Parse(%q) = %q, want it to contain %q", tt.spec, err, tt.wantErr)
			}
			if want := "schedule " + strconv.Quote(tt.spec); !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("Parse(%q) = %q, want it to start with %s", tt.spec, err, want)
			}
		})
	}
}

func TestParseLocation(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		spec string
		loc  *time.Location
		want time.Time // first fire after epoch, in UTC
	}{
		{"no zone is UTC by default", "30 3 * * *", nil, at(3*time.Hour + 30*time.Minute)},
		{"no zone uses the given location", "30 3 * * *", berlin, at(2*time.Hour + 30*time.Minute)},
		{"descriptor uses the given location", "@daily", berlin, at(23 * time.Hour)},
		{"CRON_TZ overrides the location", "CRON_TZ=America/New_York 30 3 * * *", berlin, at(8*time.Hour + 30*time.Minute)},
		{"CRON_TZ=UTC overrides the location", "CRON_TZ=UTC 30 3 * * *", berlin, at(3*time.Hour + 30*time.Minute)},
		{"@every ignores zones", "@every 90m", berlin, at(90 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sched, err := Parse(tt.spec, ParseOptions{Location: tt.loc, Now: epoch()})
			if err != nil {
				t.Fatal(err)
			}
			if got := next(sched, epoch()); !got.Equal(tt.want) {
				t.Fatalf("first fire of %q after %v = %v, want %v", tt.spec, epoch(), got.UTC(), tt.want)
			}
		})
	}
}

func TestDSTWarning(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		spec string
		loc  *time.Location
		warn bool
	}{
		{"02:30 Berlin local time", "30 2 * * *", berlin, true},
		{"01:30 in a New York CRON_TZ", "CRON_TZ=America/New_York 30 1 * * *", nil, true},
		{"03:00 Berlin", "0 3 * * *", berlin, true},
		{"every two hours includes 02:00", "0 */2 * * *", berlin, true},
		{"a list touching 01:00", "0 1,13 * * *", berlin, true},
		{"04:30 Berlin", "30 4 * * *", berlin, false},
		{"midnight Berlin", "0 0 * * *", berlin, false},
		{"02:30 UTC by default", "30 2 * * *", nil, false},
		{"CRON_TZ=UTC overrides a DST location", "CRON_TZ=UTC 30 2 * * *", berlin, false},
		{"a zone without DST", "CRON_TZ=Asia/Tokyo 30 2 * * *", nil, false},
		{"every 30 minutes", "*/30 * * * *", berlin, false},
		{"every hour as a range", "0 0-23 * * *", berlin, false},
		{"hourly", "@hourly", berlin, false},
		{"daily", "@daily", berlin, false},
		{"every", "@every 1h", berlin, false},
		{"invalid spec", "garbage", berlin, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DSTWarning(tt.spec, tt.loc)
			if (got != "") != tt.warn {
				t.Fatalf("DSTWarning(%q, %v) = %q, want a warning: %v", tt.spec, tt.loc, got, tt.warn)
			}
			if got != "" && !strings.Contains(got, strconv.Quote(tt.spec)) {
				t.Fatalf("DSTWarning(%q) = %q, want it to name the spec", tt.spec, got)
			}
		})
	}
}
