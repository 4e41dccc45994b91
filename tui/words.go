package tui

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/dialtone/dialtone/call"
)

// Reasons the engine gives (call/session's and the server's), spelled here
// so the TUI need not import them.
const (
	reasonHangup         = "hangup"
	reasonMediaFailed    = "media-failed"
	reasonServerLost     = "server-lost"
	reasonSignallingLost = "signalling-lost"
	reasonPeerLost       = "peer-lost"
	reasonShutdown       = "server-shutdown"
	reasonNoCapacity     = "no-capacity"
	reasonLeaseLost      = "lease-lost"
	reasonLostWhileAway  = "lost-while-away"
	reasonUnknown        = "unknown"
	reasonOffline        = "offline"
	reasonCancelled      = "cancelled"
	reasonRefused        = "refused"
	reasonNoAnswer       = "no-answer"
	reasonBusy           = "busy"
	reasonUnavailable    = "unavailable"
)

// endWords says in words how the call on screen ended: who hung up, or what
// went wrong. who is the other party as the screen names them; rang is how
// long it rang unanswered; connected whether media ever flowed.
func endWords(ev call.Event, who string, rang time.Duration, connected bool) string {
	switch ev.Kind {
	case call.EventRefused:
		if ev.Local {
			return "you declined the call"
		}
		return who + " declined the call"
	case call.EventBusy:
		return who + " is busy"
	case call.EventNoAnswer:
		return fmt.Sprintf("no answer after %d s", int(rang.Round(time.Second)/time.Second))
	case call.EventUnavailable:
		switch ev.Reason {
		case reasonUnknown:
			return "no such number on this server"
		case reasonOffline:
			return who + " is not online"
		}
	case call.EventCancelled:
		if ev.Local {
			return "you hung up before it was answered"
		}
	case call.EventError:
		return errorWords(ev.Error)
	case call.EventEnded:
		return endedWords(ev, who, connected)
	}
	if w := reasonWords(ev.Reason, who); w != "" {
		return w
	}
	return ev.Error
}

func endedWords(ev call.Event, who string, connected bool) string {
	switch ev.Reason {
	case reasonHangup:
		if ev.Local {
			return "you hung up"
		}
		return who + " hung up"
	case "key-changed":
		return "not connected: " + who + " came with a key that is not the one pinned"
	case "not-verified":
		return "not connected: the call's media could not be verified as " + who + "'s"
	case reasonMediaFailed:
		if connected {
			return "the call's sound and picture stopped getting through"
		}
		return "the call's media could not connect"
	case "":
		if ev.Error != "" {
			return errorWords(ev.Error)
		}
		return ""
	}
	return reasonWords(ev.Reason, who)
}

// reasonWords words a reason code; one it does not know is shown as it is.
func reasonWords(reason, who string) string {
	switch reason {
	case "":
		return ""
	case reasonServerLost:
		return "the connection to the server was lost, and the call with it"
	case reasonSignallingLost:
		return "the connection to the server was lost"
	case reasonPeerLost:
		return who + " lost their connection"
	case reasonShutdown:
		return "the server shut down or restarted"
	case reasonNoCapacity:
		return "the server has no room for another call"
	case reasonLeaseLost:
		return "the call's address on the server ran out"
	case reasonLostWhileAway:
		return "the call ended while this phone was cut off from the server"
	case reasonCancelled:
		return who + " hung up before it was answered"
	case reasonRefused:
		return who + " declined the call"
	case reasonNoAnswer:
		return "no answer"
	case reasonBusy:
		return who + " is busy"
	case reasonUnavailable:
		return who + " cannot be reached"
	}
	return reason
}

// errorWords turns an engine error into words: Go's context errors say
// nothing to a person.
func errorWords(err string) string {
	switch {
	case strings.Contains(err, "context deadline exceeded"):
		return "the server did not answer in time"
	case strings.Contains(err, "phone stopped"):
		return "the call engine stopped"
	}
	// The server's refusals come as "server: CODE: words"; the code is for
	// programs, the words are for the person.
	if m := serverError.FindStringSubmatch(err); m != nil {
		return m[1]
	}
	return err
}

var serverError = regexp.MustCompile(`server: [a-z0-9-]+: (.+)$`)
