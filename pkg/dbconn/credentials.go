package dbconn

import (
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// The variables AWS mode signs its IAM auth tokens with when Config leaves
// Credentials and Region unset. Lambda sets them for every function:
// AWS_REGION, the Region the function runs in, and the access key, secret
// and session token of the function's execution role ("Defined runtime
// environment variables",
// https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
const (
	EnvAWSRegion          = "AWS_REGION"
	EnvAWSDefaultRegion   = "AWS_DEFAULT_REGION"
	EnvAWSAccessKeyID     = "AWS_ACCESS_KEY_ID"
	EnvAWSSecretAccessKey = "AWS_SECRET_ACCESS_KEY"
	EnvAWSSessionToken    = "AWS_SESSION_TOKEN"
)

// getenv reads the process environment; a variable for tests.
var getenv = os.Getenv

// EnvCredentials returns the credentials in AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and (when set) AWS_SESSION_TOKEN, read through
// getenv now, or an error naming the variable that is missing.
//
// These are the credentials the AWS SDK's default chain finds first in
// Lambda, so a function signs with the same ones it would through
// config.LoadDefaultConfig. The rest of that chain (shared config and
// credential files, SSO, web identity, container and EC2 instance
// credentials) is deliberately not linked: it is most of the SDK a binary
// that only signs tokens would carry, and nothing here runs AWS mode
// outside Lambda. (Lambda SnapStart hands out container credentials instead
// of these variables; it does not support provided.al2023 functions.) A
// caller with other credentials sets Config.Credentials.
func EnvCredentials(getenv func(string) string) (aws.CredentialsProvider, error) {
	id := strings.TrimSpace(getenv(EnvAWSAccessKeyID))
	secret := strings.TrimSpace(getenv(EnvAWSSecretAccessKey))
	for _, v := range []struct{ name, value string }{{EnvAWSAccessKeyID, id}, {EnvAWSSecretAccessKey, secret}} {
		if v.value == "" {
			return nil, fmt.Errorf("no AWS credentials to sign RDS auth tokens: %s is not set (Lambda sets it from the execution role; elsewhere set Config.Credentials)", v.name)
		}
	}
	p := credentials.NewStaticCredentialsProvider(id, secret, strings.TrimSpace(getenv(EnvAWSSessionToken)))
	p.Value.Source = "dbconn.EnvCredentials"
	return p, nil
}

// EnvRegion returns AWS_REGION, else AWS_DEFAULT_REGION, as the SDK reads
// them; "" when neither is set.
func EnvRegion(getenv func(string) string) string {
	if r := strings.TrimSpace(getenv(EnvAWSRegion)); r != "" {
		return r
	}
	return strings.TrimSpace(getenv(EnvAWSDefaultRegion))
}
