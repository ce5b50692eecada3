package globaldb

import (
	"errors"
	"fmt"

	"github.com/todomgmt/todomgmt/internal/lab/gtid"
	"github.com/todomgmt/todomgmt/pkg/drill"
)

// What the replica held of the writer's transactions at the moment of an
// unplanned fault (drill.Fault, which RecordFault reads from the replica
// right after the writer's server stopped and before anything was
// promoted) is the reference both loss measures are taken against:
//
//   - unreplicated at the fault: the old writer's executed transactions
//     the replica had not received (unreplicated, once the old writer is
//     back and its GTID set can be read);
//   - discarded by the promotion: transactions the replica had received
//     but that the promoted server does not hold (Outage.Discarded):
//     received into its relay log, thrown away with it unapplied.
//
// Acknowledged writes the new writer lacks are in one of the two, so with
// nothing discarded, "lost ≤ unreplicated" compares two independent
// measures: one from the application's rows, one from GTID sets.

// mergeReceived merges a replica's executed and retrieved GTIDs.
func mergeReceived(f flavour, executed, retrieved string) (string, error) {
	if f == flavourMariaDB {
		e, err1 := gtid.ParseMaria(executed)
		r, err2 := gtid.ParseMaria(retrieved)
		if err := errors.Join(err1, err2); err != nil {
			return "", err
		}
		return gtid.FormatMaria(gtid.MariaPosition(e, r)), nil
	}
	e, err1 := gtid.ParseMySQLSet(executed)
	r, err2 := gtid.ParseMySQLSet(retrieved)
	if err := errors.Join(err1, err2); err != nil {
		return "", err
	}
	return e.Union(r).String(), nil
}

// unreplicated counts the transactions of the old writer that the
// replica had not received at the fault, and names them (MySQL: the GTID
// set; MariaDB: the old writer's position). oldWriterPosition is the old
// writer's executed GTID position or set, read once it is back (its
// binlog survives the kill): drill.Rebuild.Position.
func unreplicated(f drill.Fault, oldWriterPosition string) (int64, string, error) {
	if flavour(f.Flavour) == flavourMariaDB {
		old, err1 := gtid.ParseMaria(oldWriterPosition)
		rec, err2 := gtid.ParseMaria(f.Received)
		if err := errors.Join(err1, err2); err != nil {
			return 0, "", err
		}
		// The replica's history is a prefix of the old writer's
		// (gtid_strict_mode, one writer at a time): the received position
		// is where they part.
		n := gtid.MariaMissing(old, rec, rec)
		if n == 0 {
			return 0, "", nil
		}
		return n, fmt.Sprintf("%s beyond %s", gtid.FormatMaria(old), f.Received), nil
	}
	old, err1 := gtid.ParseMySQLSet(oldWriterPosition)
	rec, err2 := gtid.ParseMySQLSet(f.Received)
	if err := errors.Join(err1, err2); err != nil {
		return 0, "", err
	}
	diff := old.Subtract(rec)
	return diff.Count(), diff.String(), nil
}

// discardedBy counts the transactions received at the fault that the
// server in state st (the promoted replica) does not hold.
func discardedBy(f drill.Fault, st serverState) (int64, string, error) {
	if flavour(f.Flavour) == flavourMariaDB {
		rec, err := gtid.ParseMaria(f.Received)
		if err != nil {
			return 0, "", err
		}
		// Its own writes since the promotion never move gtid_slave_pos,
		// and its binlog state holds the last GTID it applied from the
		// old writer.
		n := gtid.MariaMissing(rec, st.BinlogState, st.SlavePos)
		if n == 0 {
			return 0, "", nil
		}
		return n, fmt.Sprintf("received up to %s, applied up to %s", f.Received, gtid.FormatMaria(st.SlavePos)), nil
	}
	rec, err1 := gtid.ParseMySQLSet(f.Received)
	now, err2 := gtid.ParseMySQLSet(st.Position)
	if err := errors.Join(err1, err2); err != nil {
		return 0, "", err
	}
	diff := rec.Subtract(now)
	return diff.Count(), diff.String(), nil
}
