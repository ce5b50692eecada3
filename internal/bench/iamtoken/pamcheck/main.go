// Command pamcheck is the benchmark's stand-in for RDS Proxy's IAM
// authentication, run by MariaDB's PAM plugin through pam_exec:
//
//	auth required pam_exec.so expose_authtok log=/var/log/pamcheck.log /usr/local/bin/pamcheck /etc/pamcheck.json
//
// pam_exec passes the password the client sent (with
// pam_use_cleartext_plugin, MariaDB asks for it with mysql_clear_password,
// as RDS Proxy does for IAM tokens) on standard input and the user in
// PAM_USER. It exits 0 when iamtoken.Verify accepts the password as an IAM
// auth token for that user and the configured endpoint, region and keys,
// and 1 otherwise, saying why on standard error (pam_exec's log).
//
// The configuration file is JSON: {"endpoint": "127.0.0.1:3306",
// "region": "us-east-1", "keys": {"<access key id>": "<secret>"}}.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/todomgmt/todomgmt/internal/bench/iamtoken"
)

// Config is the configuration file's content.
type Config struct {
	Endpoint string            `json:"endpoint"`
	Region   string            `json:"region"`
	Keys     map[string]string `json:"keys"`
}

// pamMaxResp is PAM_MAX_RESP_SIZE: pam_exec hands the command at most this
// many bytes of the password, less one.
const pamMaxResp = 512

func main() {
	if err := run(os.Args[1:], os.Getenv("PAM_USER"), os.Stdin); err != nil {
		fmt.Fprintf(os.Stderr, "pamcheck: user %q refused: %v\n", os.Getenv("PAM_USER"), err)
		os.Exit(1)
	}
}

func run(args []string, user string, stdin io.Reader) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: pamcheck CONFIG.json")
	}
	b, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	in, err := io.ReadAll(io.LimitReader(stdin, 64<<10))
	if err != nil {
		return err
	}
	token := string(bytes.TrimRight(in, "\x00\r\n"))
	if err := iamtoken.Verify(token, iamtoken.Expect{Endpoint: c.Endpoint, Region: c.Region, User: user, Keys: c.Keys}); err != nil {
		if len(token) >= pamMaxResp-1 {
			return fmt.Errorf("%w (the token is %d bytes: pam_exec cuts passwords at %d)", err, len(token), pamMaxResp-1)
		}
		return err
	}
	return nil
}
