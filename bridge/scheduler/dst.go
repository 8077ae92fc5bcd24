package scheduler

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// dstHours are the wall-clock hours in which daylight saving time switches in
// the common zones (01:00–03:59): a spec firing in them runs zero times on the
// day clocks go forward and twice on the day they go back. robfig/cron keeps
// that behaviour; we only warn about it.
const dstHours = 1<<1 | 1<<2 | 1<<3

// DSTWarning returns a warning, meant for the log, when spec fires at a fixed
// wall-clock hour between 01:00 and 03:59 in a zone that observes daylight
// saving time; otherwise, and for an invalid spec (Parse reports those), "".
// loc is the zone of a spec without a CRON_TZ= prefix, as in
// ParseOptions.Location (nil means UTC). Interval specs (@every, an hour
// field of "*") are not affected and never warned about.
func DSTWarning(spec string, loc *time.Location) string {
	sched, err := Parse(spec, ParseOptions{Location: loc, MinInterval: time.Second})
	if err != nil {
		return ""
	}
	s, ok := sched.(*cron.SpecSchedule)
	if !ok {
		return ""
	}
	const allHours = 1<<24 - 1
	if s.Hour&allHours == allHours || s.Hour&dstHours == 0 || !observesDST(s.Location) {
		return ""
	}
	return fmt.Sprintf("schedule %q fires between 01:00 and 03:59 in %s, which observes daylight saving time: "+
		"it is skipped on the day clocks go forward and may run twice on the day they go back; "+
		"prefer CRON_TZ=UTC or an @every interval", spec, s.Location)
}

// observesDST reports whether loc has a different UTC offset in January than
// in July this year — simple, and right for every zone that changes twice a
// year.
func observesDST(loc *time.Location) bool {
	y := time.Now().Year()
	_, winter := time.Date(y, time.January, 1, 12, 0, 0, 0, loc).Zone()
	_, summer := time.Date(y, time.July, 1, 12, 0, 0, 0, loc).Zone()
	return winter != summer
}
