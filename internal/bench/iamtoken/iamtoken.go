// Package iamtoken checks RDS IAM authentication tokens as AWS documents
// them, for the benchmark's local stand-in for RDS Proxy's IAM
// authentication (internal/bench): a token is a Signature Version 4 presigned
// URL of the rds-db service's "connect" action for one database user at
// one endpoint (host:port?query, without a scheme), valid 15 minutes, which the client sends as a cleartext
// password over TLS.
//
// The check is written from the SigV4 specification, not with the SDK's
// signer, so a token the SDK signs (pkg/dbconn, feature/rds/auth) passing
// it says that the token is well formed and correctly signed for the user,
// endpoint and region; it cannot say that AWS would accept it (IAM
// policies, the account's keys) — see internal/bench.
//
// References: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.Connecting.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
// and https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
// (the presigned form: the signature in the query, over the other query
// parameters).
package iamtoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Service is the signing name of RDS IAM authentication.
const Service = "rds-db"

// MaxExpires is the longest validity AWS gives a token: 15 minutes.
const MaxExpires = 15 * time.Minute

// DefaultSkew is how far a token's signing time may be ahead of the
// checker's clock (AWS allows 5 minutes of clock skew).
const DefaultSkew = 5 * time.Minute

// emptyHash is the hex SHA-256 of an empty payload: a presigned GET has none.
const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Expect is what a token must be for.
type Expect struct {
	// Endpoint is the host:port the client connected to.
	Endpoint string
	// Region is the region the token must be signed for.
	Region string
	// User is the database user logging in.
	User string
	// Keys maps access key ids to their secret access keys.
	Keys map[string]string
	// Now is the checker's time; zero means time.Now().
	Now time.Time
	// Skew is how far ahead of Now a signing time may be; 0 means
	// DefaultSkew.
	Skew time.Duration
}

// Verify returns nil when token is a valid, unexpired RDS IAM
// authentication token for e, and otherwise an error saying why not.
func Verify(token string, e Expect) error {
	now, skew := e.Now, e.Skew
	if now.IsZero() {
		now = time.Now()
	}
	if skew <= 0 {
		skew = DefaultSkew
	}
	// The SDK leaves the path empty (host:port?query); "/" is the same
	// canonical URI.
	host, rawQuery, ok := strings.Cut(token, "?")
	host = strings.TrimSuffix(host, "/")
	if !ok || host == "" || strings.Contains(host, "/") {
		return errors.New("not a presigned URL of the form host:port?query")
	}
	if host != e.Endpoint {
		return fmt.Errorf("signed for endpoint %q, not %q", host, e.Endpoint)
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	for k, v := range q {
		if len(v) != 1 {
			return fmt.Errorf("query parameter %s given %d times", k, len(v))
		}
	}
	for _, p := range []struct{ name, want string }{
		{"Action", "connect"},
		{"DBUser", e.User},
		{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
		{"X-Amz-SignedHeaders", "host"},
	} {
		if got := q.Get(p.name); got != p.want {
			return fmt.Errorf("%s is %q, want %q", p.name, got, p.want)
		}
	}

	amzDate := q.Get("X-Amz-Date")
	signedAt, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil {
		return fmt.Errorf("X-Amz-Date %q: %w", amzDate, err)
	}
	expires, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || expires < 1 || time.Duration(expires)*time.Second > MaxExpires {
		return fmt.Errorf("X-Amz-Expires %q is not 1 to %d seconds", q.Get("X-Amz-Expires"), int(MaxExpires.Seconds()))
	}
	if signedAt.After(now.Add(skew)) {
		return fmt.Errorf("signed at %s, in the future", signedAt.Format(time.RFC3339))
	}
	if !now.Before(signedAt.Add(time.Duration(expires) * time.Second)) {
		return fmt.Errorf("expired: signed at %s for %d s", signedAt.Format(time.RFC3339), expires)
	}

	scope := strings.Split(q.Get("X-Amz-Credential"), "/")
	if len(scope) != 5 {
		return fmt.Errorf("X-Amz-Credential %q is not key/date/region/service/aws4_request", q.Get("X-Amz-Credential"))
	}
	keyID, date, region, service, terminator := scope[0], scope[1], scope[2], scope[3], scope[4]
	switch {
	case date != amzDate[:8]:
		return fmt.Errorf("credential date %s is not the signing date %s", date, amzDate[:8])
	case region != e.Region:
		return fmt.Errorf("signed for region %q, not %q", region, e.Region)
	case service != Service || terminator != "aws4_request":
		return fmt.Errorf("signed for service %q (%s), not %q", service, terminator, Service)
	}
	secret, ok := e.Keys[keyID]
	if !ok {
		return fmt.Errorf("unknown access key %q", keyID)
	}

	sig, err := hex.DecodeString(q.Get("X-Amz-Signature"))
	if err != nil || len(sig) != sha256.Size {
		return errors.New("X-Amz-Signature is not a hex SHA-256 HMAC")
	}
	want := signature(secret, date, region, amzDate, canonicalRequest(host, q))
	if !hmac.Equal(sig, want) {
		return errors.New("signature does not match")
	}
	return nil
}

// canonicalRequest is SigV4's canonical request of a presigned GET of "/"
// at host, with only the host header signed and no payload.
func canonicalRequest(host string, q url.Values) string {
	var params []string
	for k, v := range q {
		if k == "X-Amz-Signature" {
			continue
		}
		params = append(params, uriEncode(k)+"="+uriEncode(v[0]))
	}
	slices.Sort(params) // encoded names are unique, so this sorts by name
	return strings.Join([]string{
		"GET",
		"/",
		strings.Join(params, "&"),
		"host:" + host + "\n",
		"host",
		emptyHash,
	}, "\n")
}

// signature is SigV4's signature of the canonical request creq.
func signature(secret, date, region, amzDate, creq string) []byte {
	h := sha256.Sum256([]byte(creq))
	stringToSign := strings.Join([]string{
		"AWS4-HMAC-SHA256",
		amzDate,
		date + "/" + region + "/" + Service + "/aws4_request",
		hex.EncodeToString(h[:]),
	}, "\n")
	key := []byte("AWS4" + secret)
	for _, part := range []string{date, region, Service, "aws4_request"} {
		key = hmacSHA256(key, part)
	}
	return hmacSHA256(key, stringToSign)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// uriEncode percent-encodes s as SigV4 requires: every byte but the
// unreserved characters A-Z a-z 0-9 - _ . ~, with upper-case hex digits.
func uriEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
