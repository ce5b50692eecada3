package lab

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Fault is what the replica held of the writer's transactions at the
// moment of an unplanned fault, read from the replica right after the
// writer's server stopped and before anything was promoted. It is the
// reference both loss measures are taken against:
//
//   - unreplicated at the fault: the old writer's executed transactions
//     the replica had not received (Fault.Unreplicated, once the old
//     writer is back and its GTID set can be read);
//   - discarded by the promotion: transactions the replica had received
//     but that the promoted server does not hold (Database.Discarded):
//     received into its relay log, thrown away with it unapplied.
//
// Acknowledged writes the new writer lacks are in one of the two, so with
// nothing discarded, "lost ≤ unreplicated" compares two independent
// measures: one from the application's rows, one from GTID sets.
type Fault struct {
	// Writer is the region whose server stopped, Replica the other.
	Writer  string    `json:"writer"`
	Replica string    `json:"replica"`
	At      time.Time `json:"at"`
	Flavour string    `json:"flavour"`
	// Executed is the replica's executed GTID position (MariaDB) or set
	// (MySQL). Retrieved is what its IO thread had received: Gtid_IO_Pos
	// (MariaDB, complete event groups only) or Retrieved_Gtid_Set (MySQL).
	// Received merges the two: everything the replica held, applied or
	// still in its relay log.
	Executed  string `json:"executed"`
	Retrieved string `json:"retrieved"`
	Received  string `json:"received"`
}

// RecordFault reads, from the replica of writerRegion's server, every
// transaction it had received. Call it right after that server stopped
// and before a promotion, which discards the replica's relay log.
func (d *Database) RecordFault(ctx context.Context, writerRegion string) (Fault, error) {
	w, err := d.nodeByRegion(writerRegion)
	if err != nil {
		return Fault{}, err
	}
	r := d.other(w)
	f := Fault{Writer: w.region, Replica: r.region, At: time.Now().UTC()}
	// State reads the executed position before the replica status, so a
	// transaction applied in between is in the received part anyway.
	st, err := r.State(ctx)
	if err != nil {
		return f, fmt.Errorf("record the fault: %w", err)
	}
	f.Flavour, f.Executed = string(st.Flavour), st.Position
	if st.Replica != nil {
		f.Retrieved = st.Replica.IOPos
	}
	f.Received, err = mergeReceived(st.Flavour, f.Executed, f.Retrieved)
	if err != nil {
		return f, fmt.Errorf("record the fault: %s: %w", r.alias, err)
	}
	return f, nil
}

// mergeReceived merges a replica's executed and retrieved GTIDs.
func mergeReceived(f flavour, executed, retrieved string) (string, error) {
	if f == flavourMariaDB {
		e, err1 := parseMariaGTIDs(executed)
		r, err2 := parseMariaGTIDs(retrieved)
		if err := errors.Join(err1, err2); err != nil {
			return "", err
		}
		return formatMariaGTIDs(mariaPosition(e, r)), nil
	}
	e, err1 := parseMySQLGTIDSet(executed)
	r, err2 := parseMySQLGTIDSet(retrieved)
	if err := errors.Join(err1, err2); err != nil {
		return "", err
	}
	return e.union(r).String(), nil
}

// Unreplicated counts the transactions of the old writer that the
// replica had not received at the fault, and names them (MySQL: the GTID
// set; MariaDB: the old writer's position). oldWriterPosition is the old
// writer's executed GTID position or set, read once it is back (its
// binlog survives the kill): RebuildResult.Position.
func (f Fault) Unreplicated(oldWriterPosition string) (int64, string, error) {
	if flavour(f.Flavour) == flavourMariaDB {
		old, err1 := parseMariaGTIDs(oldWriterPosition)
		rec, err2 := parseMariaGTIDs(f.Received)
		if err := errors.Join(err1, err2); err != nil {
			return 0, "", err
		}
		// The replica's history is a prefix of the old writer's
		// (gtid_strict_mode, one writer at a time): the received position
		// is where they part.
		n := mariaMissing(old, rec, rec)
		if n == 0 {
			return 0, "", nil
		}
		return n, fmt.Sprintf("%s beyond %s", formatMariaGTIDs(old), f.Received), nil
	}
	old, err1 := parseMySQLGTIDSet(oldWriterPosition)
	rec, err2 := parseMySQLGTIDSet(f.Received)
	if err := errors.Join(err1, err2); err != nil {
		return 0, "", err
	}
	diff := old.subtract(rec)
	return diff.count(), diff.String(), nil
}

// discardedBy counts the transactions received at the fault that the
// server in state st (the promoted replica) does not hold.
func (f Fault) discardedBy(st serverState) (int64, string, error) {
	if flavour(f.Flavour) == flavourMariaDB {
		rec, err := parseMariaGTIDs(f.Received)
		if err != nil {
			return 0, "", err
		}
		// Its own writes since the promotion never move gtid_slave_pos,
		// and its binlog state holds the last GTID it applied from the
		// old writer.
		n := mariaMissing(rec, st.BinlogState, st.SlavePos)
		if n == 0 {
			return 0, "", nil
		}
		return n, fmt.Sprintf("received up to %s, applied up to %s", f.Received, formatMariaGTIDs(st.SlavePos)), nil
	}
	rec, err1 := parseMySQLGTIDSet(f.Received)
	now, err2 := parseMySQLGTIDSet(st.Position)
	if err := errors.Join(err1, err2); err != nil {
		return 0, "", err
	}
	diff := rec.subtract(now)
	return diff.count(), diff.String(), nil
}

// Discarded counts the transactions the replica had received at the fault
// that it does not hold now. After its promotion they are the ones it
// discarded with its relay log instead of applying them; any is a fault of
// the failover, since data loss was only allowed for what never arrived.
func (d *Database) Discarded(ctx context.Context, f Fault) (int64, string, error) {
	r, err := d.nodeByRegion(f.Replica)
	if err != nil {
		return 0, "", err
	}
	st, err := r.State(ctx)
	if err != nil {
		return 0, "", fmt.Errorf("discarded by the promotion: %w", err)
	}
	return f.discardedBy(st)
}
