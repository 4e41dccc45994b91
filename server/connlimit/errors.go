package connlimit

import "errors"

var (
	// ErrOverBudget is returned by NewBudget when listeners' reserves add
	// up to more than the budget.
	ErrOverBudget = errors.New("connlimit: reserves exceed the budget")
	errClosed     = errors.New("connlimit: listener closed")
)
