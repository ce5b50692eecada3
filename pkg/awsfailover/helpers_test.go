package awsfailover

import (
	"errors"
	"time"

	"github.com/todomgmt/todomgmt/internal/awstest"
)

// The fake deployment's names (internal/awstest).
const (
	east    = awstest.East
	west    = awstest.West
	eastARN = awstest.EastARN
	westARN = awstest.WestARN
	global  = awstest.Global
	kvsARN  = awstest.KVSARN
)

// backupRetention is the fake clusters' retention (7 days), what the
// template asks of the clusters (awsops.BackupRetention).
const backupRetention = 7 * 24 * time.Hour

func errorsAs(err error, target any) bool { return errors.As(err, target) }
