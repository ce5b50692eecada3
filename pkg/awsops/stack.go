package awsops

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"
)

// Stack is a deployed regional stack as CloudFormation describes it.
type Stack struct {
	Name       string
	ID         string
	Region     string
	Status     string
	Outputs    map[string]string
	Parameters map[string]string
}

// Output returns the named output, or "".
func (s Stack) Output(name string) string { return s.Outputs[name] }

// StackNotFoundError says a stack does not exist (or is deleted).
type StackNotFoundError struct{ Name, Region string }

func (e *StackNotFoundError) Error() string {
	return fmt.Sprintf("stack %s not found in %s", e.Name, e.Region)
}

// isNotFound recognises CloudFormation's answer for a missing stack: a
// ValidationError whose message says it does not exist (there is no
// typed error for it).
func isNotFound(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ValidationError" && strings.Contains(ae.ErrorMessage(), "does not exist")
}
