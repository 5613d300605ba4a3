package updaterun

import (
	"errors"
	"fmt"
)

// runError ends a run: initialization or execution cannot succeed without
// the user changing something (a new run, a fixed strategy, a placement).
// Its message is written to the run's status as is.
type runError struct {
	msg string
}

func (e *runError) Error() string { return e.msg }

// fail returns an error that ends the run with a message for the user.
func fail(format string, args ...any) error {
	return &runError{msg: fmt.Sprintf(format, args...)}
}

// isRunError reports whether err ends the run.
func isRunError(err error) bool {
	var e *runError
	return errors.As(err, &e)
}
