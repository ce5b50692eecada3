package bench

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/todomgmt/todomgmt/pkg/dbconn"
)

// Print writes the report as tables.
func (r *Report) Print(w io.Writer) error {
	fmt.Fprintf(w, "\nToDoMgmt API benchmarks, %s (%s; MySQL image %s); wall time %s\n\n",
		r.Started.UTC().Format("2006-01-02 15:04 MST"), r.Host, r.Image, r.Elapsed.Round(time.Second))

	verdict := "within it"
	if r.BootstrapBytes > BootstrapLimit {
		verdict = "OVER IT"
	}
	fmt.Fprintf(w, "bootstrap (api), linux/arm64, stripped: %s bytes (%.2f MiB); limit %s bytes: %s (%s to spare)\n",
		thousands(r.BootstrapBytes), float64(r.BootstrapBytes)/(1<<20), thousands(BootstrapLimit), verdict, thousands(BootstrapLimit-r.BootstrapBytes))

	if len(r.ColdStarts) > 0 {
		fmt.Fprintf(w, "\ncold start: process start → response to GET /v1/todos/1, first database connection included;\n")
		fmt.Fprintf(w, "%d of each kind, in turn; median (min–max). Peak RSS is the bootstrap's VmHWM once it has answered.\n\n", len(r.ColdStarts[0].Samples))
		tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
		fmt.Fprintf(tw, "  kind\ttime\tpeak RSS\n")
		for _, c := range r.ColdStarts {
			var ds []time.Duration
			var rss []int64
			for _, s := range c.Samples {
				ds = append(ds, s.Elapsed)
				rss = append(rss, s.PeakRSS)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.Name, msSpread(spreadOf(ds)), mibSpread(spreadOf(rss)))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if slices.ContainsFunc(r.ColdStarts, func(c ColdStartReport) bool { return c.Name == AWSModeColdStart }) {
			server := "MariaDB"
			if r.AWSModeImage != "" {
				server = "a MariaDB server of its own (" + r.AWSModeImage + ")"
			}
			fmt.Fprintf(w, "  (AWS mode: TLS to %s with a certificate from a throwaway CA, given as SSL_CERT_FILE; an IAM auth\n", server)
			fmt.Fprintf(w, "  token signed with the SDK from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, sent as mysql_clear_password and\n")
			fmt.Fprintf(w, "  checked by MariaDB's PAM plugin running pamcheck, a stand-in for RDS Proxy.)\n")
		}
		fmt.Fprintf(w, "  (Under the emulator the clock starts with the emulator's process, which starts the bootstrap at the\n")
		fmt.Fprintf(w, "  first invoke; bare, with the bootstrap's.)\n")
	}
	for _, n := range r.ColdStartNotes {
		fmt.Fprintf(w, "%s\n", n)
	}
	if len(r.Connects) > 0 {
		fmt.Fprintf(w, "\nfirst connection alone, opened from the bench process (pkg/dbconn); %d each, median (min–max):\n\n", len(r.Connects[0].Times))
		tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
		for _, c := range r.Connects {
			name := c.Name
			if c.TLS != "" {
				name += " (" + c.TLS + ")"
			}
			fmt.Fprintf(tw, "  %s\t%s\n", name, msSpread(spreadOf(c.Times)))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	if len(r.Warm) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\nwarm: one execution environment, requests one at a time, through the adapter, handler, store and a\n")
	fmt.Fprintf(w, "pkg/dbconn pool (%d connections, as in Lambda) to MySQL on loopback; %d runs × %d requests per operation\n", dbconn.DefaultMaxOpenConns, r.Runs, r.Requests)
	fmt.Fprintf(w, "(after %d warm-up requests); each figure the median over runs (min–max); times in ms; throughput from\n", r.Warmup)
	fmt.Fprintf(w, "wall time. Floor: the same statements, captured on the wire from each request, sent again on a\n")
	fmt.Fprintf(w, "connection of an identical pool, to a copy of the schema in the same state: no adapter, handler, JSON\n")
	fmt.Fprintf(w, "or store code. Round trips: counted per request on the driver's connection (internal/roundtrip).\n\n")
	type row struct {
		op                   OperationReport
		p50, fp50, p99, fp99 Spread[time.Duration]
		ratio, tput, ftput   Spread[float64]
	}
	var rows []row
	for _, op := range r.Warm {
		var p50, fp50, p99, fp99 []time.Duration
		var ratio, tput, ftput []float64
		for _, run := range op.Runs {
			p50, fp50 = append(p50, run.Ours.P50), append(fp50, run.Floor.P50)
			p99, fp99 = append(p99, run.Ours.P99), append(fp99, run.Floor.P99)
			ratio = append(ratio, run.Ratio)
			tput, ftput = append(tput, run.Ours.Throughput), append(ftput, run.Floor.Throughput)
		}
		rows = append(rows, row{op, spreadOf(p50), spreadOf(fp50), spreadOf(p99), spreadOf(fp99), spreadOf(ratio), spreadOf(tput), spreadOf(ftput)})
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  operation\tround trips\tp50 ours\tp50 floor\tours/floor at p50\ttarget\n")
	var notes []string
	for _, x := range rows {
		target := "-"
		if x.op.Target {
			if x.ratio.Median <= TargetRatio {
				target = fmt.Sprintf("≤ %.2f: met", TargetRatio)
			} else {
				target = fmt.Sprintf("≤ %.2f: NOT MET", TargetRatio)
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%.2f (%.2f–%.2f)\t%s\n", x.op.Name, x.op.RoundTrips.String(),
			msBare(x.p50), msBare(x.fp50), x.ratio.Median, x.ratio.Min, x.ratio.Max, target)
		if n := x.op.RoundTrips.note(); n != "" {
			notes = append(notes, x.op.Name+": "+n)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  operation\tp99 ours\tp99 floor\treq/s ours\treq/s floor\n")
	for _, x := range rows {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", x.op.Name, msBare(x.p99), msBare(x.fp99), perSecond(x.tput), perSecond(x.ftput))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var deadlineLines []string
	for _, x := range rows {
		var d []time.Duration
		var ratio []float64
		for _, run := range x.op.Runs {
			if run.FloorDeadline.P50 > 0 {
				d = append(d, run.FloorDeadline.P50)
				ratio = append(ratio, float64(run.Ours.P50)/float64(run.FloorDeadline.P50))
			}
		}
		if len(d) > 0 {
			rs := spreadOf(ratio)
			deadlineLines = append(deadlineLines, fmt.Sprintf("  %s\t%s\t%.2f (%.2f–%.2f)\n", x.op.Name, msBare(spreadOf(d)), rs.Median, rs.Min, rs.Max))
		}
	}
	if len(deadlineLines) > 0 {
		fmt.Fprintf(w, "\nreads replayed again under a context with a deadline, as a request's queries run (database/sql then\n")
		fmt.Fprintf(w, "watches each query's rows with a goroutine, the driver hands the context to its connection's watcher):\n\n")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "  operation\tp50 floor with a deadline\tours/that at p50\n")
		for _, l := range deadlineLines {
			fmt.Fprint(tw, l)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(notes) == 0 {
		fmt.Fprintf(w, "\nround trips: every measured request of an operation made the same number (none opened a connection).\n")
	} else {
		fmt.Fprintf(w, "\nround trips: every measured request of an operation made the same number, except:\n")
		for _, n := range notes {
			fmt.Fprintf(w, "  %s\n", n)
		}
	}
	return nil
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

func msSpread(s Spread[time.Duration]) string {
	return fmt.Sprintf("%s (%.2f–%.2f)", ms(s.Median), float64(s.Min)/1e6, float64(s.Max)/1e6)
}

func msBare(s Spread[time.Duration]) string {
	return fmt.Sprintf("%.3f (%.3f–%.3f)", float64(s.Median)/1e6, float64(s.Min)/1e6, float64(s.Max)/1e6)
}

func mibSpread(s Spread[int64]) string {
	const mib = 1 << 20
	return fmt.Sprintf("%.1f MiB (%.1f–%.1f)", float64(s.Median)/mib, float64(s.Min)/mib, float64(s.Max)/mib)
}

func perSecond(s Spread[float64]) string {
	return fmt.Sprintf("%.0f (%.0f–%.0f)", s.Median, s.Min, s.Max)
}

// thousands formats n with commas between groups of three digits.
func thousands(n int64) string {
	if n < 0 {
		return "-" + thousands(-n)
	}
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
